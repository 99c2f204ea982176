"""The base every request body inherits: strict, trimmed, safe for every database, and with
people's names in one form (NFC, no invisible characters) so search and duplicates work."""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

# ---------------------------------------------------------------- identity text

# Invisible characters (zero-width, bidirectional overrides: Unicode category Cf) and control
# characters (Cc) let "Had\u200bdad" pass the duplicate check and hide from search.
_INVISIBLE = frozenset({"Cf", "Cc"})
INVALID_CHARACTERS = "invalid_characters"
# Fields that name or identify a person, wherever they appear in an input schema.
IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "full_name",
    "emergency_contact_name",
    "national_id",
)
IDENTITY_LINE_FIELDS = ("address",)  # the same, typed on several lines


def search_text(value: str) -> str:
    """A query as typed or pasted: NFC, without invisible characters, so it finds the record;
    a control character (a tab, a NUL from a bad paste) separates words like a space."""
    value = unicodedata.normalize("NFC", value)
    kept = (" " if unicodedata.category(c) == "Cc" else c for c in value)
    return "".join(c for c in kept if unicodedata.category(c) != "Cf").strip()


def identity_text(value: Any, *, newlines: bool = False) -> Any:
    """Names, addresses and ids of people are kept in NFC and refused (422
    `invalid_characters`) with invisible or control characters; every InputModel applies it
    to the fields named in IDENTITY_FIELDS and IDENTITY_LINE_FIELDS."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value)
    if newlines:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    for char in value:
        if unicodedata.category(char) in _INVISIBLE and not (newlines and char == "\n"):
            raise PydanticCustomError(
                INVALID_CHARACTERS,
                "must not contain invisible or control characters (such as zero-width "
                "spaces or direction marks): retype it, or paste it as plain text",
            )
    return value


# The longest text any field takes (a clinical note); page forms refuse longer values.
LONGEST_TEXT = 20_000


class InputModel(BaseModel):
    """Unknown fields are errors; text is trimmed; NUL characters (which PostgreSQL cannot
    store) are refused with a message naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    # Every schema's fields with these names hold a person's identity (see identity_text).
    _identity = field_validator(*IDENTITY_FIELDS, mode="before", check_fields=False)(
        lambda value: identity_text(value)
    )
    _identity_lines = field_validator(*IDENTITY_LINE_FIELDS, mode="before", check_fields=False)(
        lambda value: identity_text(value, newlines=True)
    )
