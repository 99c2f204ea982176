"""How a patient is found: names folded to plain lower case, phone numbers cut to their
digits and read as one E.164 number, kept on the row (name_search, phone_digits, phone_e164)
for search and the duplicate checks; and a date of birth read out of a search box."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.db import SETTINGS_OPTION
from openward.patients.models import Patient

DEFAULT_PHONE_REGION: str = Settings.model_fields["phone_region"].default

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


def phone_region(db: AsyncSession) -> str:
    """OPENWARD_PHONE_REGION of the settings this session's engine serves."""
    settings = db.get_bind().get_execution_options().get(SETTINGS_OPTION)
    return settings.phone_region if settings is not None else DEFAULT_PHONE_REGION


def phone_key(text: str | None, region: str, *, valid: bool = False) -> str | None:
    """One number however it is written: '07700 900123' (national, in the region),
    '+44 7700 900123' and '0044 7700 900123' are all '+447700900123'. None when the text
    cannot be a phone number (with `valid`: when it is not a whole number in use)."""
    digits = digits_of(text)
    if not text or not digits or len(digits) < 5:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    if valid and not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def refresh_search_keys(patient: Patient, region: str = DEFAULT_PHONE_REGION) -> None:
    patient.name_search = search_name(patient.given_name, patient.family_name)
    patient.phone_digits = digits_of(patient.phone)
    patient.phone_e164 = phone_key(patient.phone, region)


# ---------------------------------------------------------------- a date of birth typed


# Where 03/04/1984 is the 4th of March; everywhere else it is the 3rd of April.
MONTH_FIRST_REGIONS = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH", "PW"})
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_DATE = re.compile(
    r"(?<!\w)(?:"
    r"(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})"  # 1984-02-29
    r"|(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4})"  # 29/02/1984, 02/29/1984
    r"|(?P<nd>\d{1,2})[ -]?(?P<mon>[^\W\d_]{3,9})\.?[ -]?(?P<ny>\d{4})"  # 29 Feb 1984
    r")(?!\w)"
)


def _month_named(word: str) -> int | None:
    word = fold(word)
    for number, name in enumerate(_MONTHS, start=1):
        if len(word) >= 3 and name.startswith(word):
            return number
    return None


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date_of(match: re.Match[str], region: str) -> date | None:
    if match["iy"]:
        return _day(int(match["iy"]), int(match["im"]), int(match["id"]))
    if match["mon"]:
        month = _month_named(match["mon"])
        return _day(int(match["ny"]), month, int(match["nd"])) if month else None
    first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
    # The order the region writes is tried first; the other only when that is no date
    # (29/02/1984 in the US is still the 29th of February).
    if region in MONTH_FIRST_REGIONS:
        return _day(year, first, second) or _day(year, second, first)
    return _day(year, second, first) or _day(year, first, second)


def date_of_birth_in(text: str, region: str) -> tuple[date | None, str]:
    """A date typed in a search box and what remains of it: ('smith 29/02/1984', 'GB') ->
    (1984-02-29, 'smith'). ISO dates, day or month first by the region's custom (an
    unambiguous one either way), and '29 Feb 1984' as the pages print dates."""
    for match in _DATE.finditer(text):
        born = _date_of(match, region)
        if born is not None:
            rest = text[: match.start()] + " " + text[match.end() :]
            return born, " ".join(rest.split())
    return None, text
