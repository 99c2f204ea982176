"""How a patient is found: names folded to plain lower case and phone numbers cut to their
digits, kept on the row (name_search, phone_digits) for search and the duplicate checks."""

from __future__ import annotations

import unicodedata

from openward.patients.models import Patient

# Letters that are not "a letter plus an accent" to Unicode, so NFKD leaves them alone.
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)


def fold(text: str) -> str:
    """Lower case without accents, spaces collapsed: 'Łukasz  WÓJCIK' -> 'lukasz wojcik'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.translate(_UNDECOMPOSED).split())


def search_name(given_name: str, family_name: str) -> str:
    return fold(f"{given_name} {family_name}")


def digits_of(text: str | None) -> str | None:
    # Decimal digits of any script count as the digit they are ("٣" is 3); "²" is none.
    digits = "".join(str(int(c)) for c in (text or "") if c.isdecimal())
    return digits or None


def refresh_search_keys(patient: Patient) -> None:
    patient.name_search = search_name(patient.given_name, patient.family_name)
    patient.phone_digits = digits_of(patient.phone)
