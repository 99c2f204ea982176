"""`openward.asgi:app` for the live test servers, with the suite's cheap password hashing."""

from tests import fast_hashing

fast_hashing.install()

from openward.asgi import app

__all__ = ["app"]
