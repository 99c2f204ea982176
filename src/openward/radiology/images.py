"""Image and document files of imaging orders: what a file really is, and where it is kept.

The type is read from the file's first bytes, never trusted from the name or the header the
browser sent. Files are written under a random key (never the uploader's filename) to a
temporary file first and renamed into place, so a half-written file is never served."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from openward.core.private_files import open_new_private, private_dir

CHUNK = 1024 * 1024
SUBDIR = "radiology"

# content type -> file extension used for the download name
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/pdf": "pdf",
    "application/dicom": "dcm",
}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


def sniff(head: bytes) -> str | None:
    """The content type the first bytes (at least 132 for DICOM) prove, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "application/dicom"
    return None


def safe_filename(original: str | None, content_type: str) -> str:
    """A download name that no browser or file system can misread: ASCII letters, digits,
    dots, dashes and underscores, with the extension of the type the content proved."""
    name = (original or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem).strip(".-_")[:80]
    return f"{ascii_stem or 'image'}.{EXTENSIONS[content_type]}"


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    sha256: str
    content_type: str


class TooLarge(Exception):
    """More bytes than the limit allows."""


class Empty(Exception):
    """No bytes at all."""


class Unrecognised(Exception):
    """The first bytes are none of the accepted types."""


def directory(media_dir: Path) -> Path:
    return Path(media_dir) / SUBDIR


def path_of(media_dir: Path, key: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", key):  # keys are ours; anything else is tampering
        raise ValueError("not a storage key")
    return directory(media_dir) / key


def store(source: BinaryIO, media_dir: Path, max_bytes: int) -> Stored:
    """Copy `source` into the media directory under a new random key; blocking (run it in a
    worker thread). Raises Empty, TooLarge or Unrecognised, leaving nothing behind."""
    private_dir(media_dir)  # 0700 all the way down: attachments are patient data
    target_dir = private_dir(directory(media_dir))
    key = secrets.token_hex(16)
    temp = target_dir / f".upload-{key}.part"
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with os.fdopen(open_new_private(temp), "wb") as out:  # 0600, whatever the umask
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge()
                if len(head) < 132:
                    head += chunk[: 132 - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise Empty()
        content_type = sniff(head)
        if content_type is None:
            raise Unrecognised()
        os.replace(temp, target_dir / key)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return Stored(key=key, size=size, sha256=digest.hexdigest(), content_type=content_type)


def remove(media_dir: Path, key: str) -> None:
    path_of(media_dir, key).unlink(missing_ok=True)
