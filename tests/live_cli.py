"""The `openward` command for the tests' live servers, with the suite's cheap password hashing
(the installed command itself is exercised by tests/core/test_install.py)."""

from tests import fast_hashing

fast_hashing.install()

from openward.cli import app

if __name__ == "__main__":
    app(prog_name="openward")
