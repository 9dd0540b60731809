"""The project's Scrapy commands (``COMMANDS_MODULE``): Scrapy's own, telling the truth:
``crawl`` with one-line start-up errors and the crawl's outcome as its exit code."""
