"""Browse the archive: a read-only web app (pages and a JSON API) over the store.

``crawler serve --database URL`` runs it with uvicorn; :func:`create_app` builds the ASGI
app for any other server.
"""

from crawler.serve.app import create_app

__all__ = ["create_app"]
