"""Dates typed in forms follow the hospital's locale (OPENWARD_LOCALE), not the browser's.

Chromium draws `<input type="date">` in the browser's own locale (mm/dd/yyyy in an en-US
browser, whatever the page's `lang` says), so date fields are text fields with the hospital's
pattern, and the posted value is turned into ISO (yyyy-mm-dd) before any schema sees it.
ISO typed as such is accepted too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

# Regions that write the month first, and those that write the year first.
_MONTH_FIRST = {"US", "PH", "FM", "MH", "PW", "BZ"}
_YEAR_FIRST = {"CN", "JP", "KR", "TW", "HU", "LT", "MN", "IR", "SE", "CA"}
# Languages that separate with a dot or a hyphen (the rest use a slash).
_DOT = {"de", "ru", "pl", "cs", "sk", "fi", "nb", "no", "da", "tr", "uk", "ro", "hr", "sl"}
_HYPHEN = {"nl"}

ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class DateEntry:
    """How one locale types a date: the order of its parts and their separator."""

    order: str  # "dmy", "mdy" or "ymd"
    separator: str

    @property
    def hint(self) -> str:
        """What the user sees next to the field, e.g. dd/mm/yyyy."""
        names = {"d": "dd", "m": "mm", "y": "yyyy"}
        return self.separator.join(names[part] for part in self.order)

    @property
    def pattern(self) -> str:
        """An HTML `pattern` for the field (ISO is accepted as well)."""
        digits = {"d": r"\d{1,2}", "m": r"\d{1,2}", "y": r"\d{4}"}
        sep = re.escape(self.separator)
        typed = sep.join(digits[part] for part in self.order)
        return rf"{typed}|\d{{4}}-\d{{2}}-\d{{2}}"

    def show(self, value: object) -> str:
        """A stored or re-rendered value as the user types it (ISO becomes local)."""
        if isinstance(value, date):
            day = value
        else:
            text = "" if value is None else str(value)
            match = ISO.match(text)
            if not match:
                return text
            try:
                day = date(*(int(part) for part in match.groups()))
            except ValueError:
                return text
        parts = {"d": f"{day.day:02d}", "m": f"{day.month:02d}", "y": f"{day.year:04d}"}
        return self.separator.join(parts[part] for part in self.order)

    def to_iso(self, text: str) -> str:
        """The typed date as yyyy-mm-dd; text that is no date in this format comes back
        unchanged, so the form's schema names the field ("Enter a valid date.")."""
        text = text.strip()
        if ISO.match(text):
            return text
        pieces = re.split(r"[./\-\s]+", text)
        if len(pieces) != 3 or not all(piece.isdigit() for piece in pieces):
            return text
        parts = dict(zip(self.order, (int(piece) for piece in pieces), strict=True))
        if parts["y"] < 1000:
            return text  # two-digit years are ambiguous (1934 or 2034?): ask for four
        try:
            return date(parts["y"], parts["m"], parts["d"]).isoformat()
        except ValueError:
            return text


@lru_cache(maxsize=32)
def entry_for(locale: str) -> DateEntry:
    """The date format of a locale such as en-GB, en-US, de-DE or ja-JP."""
    language, _, region = locale.partition("-")
    if region in _MONTH_FIRST:
        order = "mdy"
    elif region in _YEAR_FIRST or (not region and language in {"zh", "ja", "ko", "hu", "lt"}):
        order = "ymd"
    else:
        order = "dmy"
    if order == "ymd":
        separator = "-"
    elif language in _DOT:
        separator = "."
    elif language in _HYPHEN:
        separator = "-"
    else:
        separator = "/"
    return DateEntry(order, separator)
