"""The crawl's WARC archive (``WARC_DIR``), and web archives read as a source.

``middleware.py`` writes what a crawl receives; ``writer.py`` the files and their CDXJ
indexes; ``http11.py`` keeps the server's status line; ``reader.py`` reads archived
responses back (``crawler reextract``, ``crawler crawl exports -a path=X.warc.gz``).
"""
