"""Production hashes passwords with strong argon2id parameters; only the suite uses cheap ones."""

from __future__ import annotations

import subprocess
import sys

from openward.core import security


def test_the_production_hasher_uses_owasp_strength_argon2id_parameters():
    """A fresh interpreter, as production starts: nothing from the test suite installed."""
    probe = (
        "from openward.core import security\n"
        "h = security.password_hasher().hash('x')\n"
        "print(h.split('$')[1], h.split('$')[3])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["argon2id", "m=65536,t=3,p=4"]
    assert (security.ARGON2_MEMORY_KIB, security.ARGON2_TIME_COST) == (65536, 3)


STRONG_PROBE = (
    "from openward.core import security\nprint(security.hash_password('s3cret-Passphrase'))\n"
)


def test_hashes_made_with_other_parameters_still_verify():
    """Stored hashes carry their own parameters: the suite's cheap hashes and production's strong
    ones both verify, and a wrong password fails with either."""
    cheap = security.hash_password("Correct-Horse-Battery-42")
    assert "m=1024,t=1,p=1" in cheap  # the suite's hasher is the one installed here
    assert security.verify_password("Correct-Horse-Battery-42", cheap)
    strong = subprocess.run(
        [sys.executable, "-c", STRONG_PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert "m=65536,t=3,p=4" in strong
    assert security.verify_password("s3cret-Passphrase", strong)
    assert not security.verify_password("wrong", strong)
