"""The ASGI application for uvicorn and other servers: `openward.asgi:app`."""

from openward.app import create_app

app = create_app()
