"""The test suite's cheap argon2id parameters (a fraction of a millisecond a hash).

Production keeps the strong parameters (tests/core/test_password_hashing.py proves it);
only the test process and the servers and commands it starts install this.
"""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from openward.core import security

CHEAP = Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)


def install() -> None:
    security.use_password_hasher(PasswordHash((CHEAP,)))
