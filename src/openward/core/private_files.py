"""Files that hold patient data or secrets are readable by OpenWard's own user only.

Everything OpenWard writes to disk (the SQLite database and its WAL, the generated secret,
the demo logins, imaging attachments) is created 0600 in directories created 0700, whatever
the umask, and a file or directory of ours found more open (an older install) is tightened.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700

log = logging.getLogger("openward.files")


def make_private_dirs(path: Path) -> None:
    """Create `path` and any missing parents 0700; directories that exist are left alone
    (the working directory or /var/lib are not ours to change)."""
    path = Path(path)
    missing: list[Path] = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process made it this instant
            pass


def tighten(path: Path, mode: int) -> None:
    """Take away group and other access from a file or directory of ours, if it exists."""
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if current & 0o077:
        try:
            os.chmod(path, current & ~0o077 | mode)
        except PermissionError:  # owned by another user: say so, do not stop the hospital
            log.warning("cannot restrict %s (mode %o): not its owner", path, current)


def private_dir(path: Path) -> Path:
    """A directory of ours, created or tightened to 0700."""
    make_private_dirs(path)
    tighten(path, DIR_MODE)
    return Path(path)


def create_private_file(path: Path) -> None:
    """Make sure `path` exists and is 0600, creating it empty if needed (done before SQLite
    opens a database, whose -wal and -shm files then get the same mode)."""
    make_private_dirs(Path(path).parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    tighten(path, FILE_MODE)


def open_new_private(path: Path) -> int:
    """A descriptor for writing a new file created 0600 (fails if it exists)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)


def write_private_text(path: Path, text: str) -> None:
    """Replace a small file's text; the file is 0600 before a byte is written."""
    create_private_file(path)
    Path(path).write_text(text)
