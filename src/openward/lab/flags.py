"""Reference ranges and flags: the range that fits the patient's sex and age, a value's flag
against it, and how values and ranges are shown. Pure functions, no database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from openward.lab.models import LabAnalyte, LabReferenceRange

CRITICAL = ("critical_low", "critical_high")


def as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def age_in_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def reference_range(
    analyte: LabAnalyte, ranges: Sequence[LabReferenceRange], sex: str | None, age: int
) -> tuple[Decimal | None, Decimal | None]:
    """The most specific range that fits the patient (sex and age band beat either alone,
    either beats none); the analyte's default when none fits."""
    best: tuple[int, LabReferenceRange] | None = None
    for rng in ranges:
        if rng.sex is not None and rng.sex != sex:
            continue
        if rng.age_min_years is not None and age < rng.age_min_years:
            continue
        if rng.age_max_years is not None and age >= rng.age_max_years:
            continue
        score = (2 if rng.sex is not None else 0) + (
            1 if rng.age_min_years is not None or rng.age_max_years is not None else 0
        )
        if best is None or score > best[0]:
            best = (score, rng)
    if best is None:
        return analyte.low, analyte.high
    return best[1].low, best[1].high


def flag_for(
    analyte: LabAnalyte,
    low: Decimal | None,
    high: Decimal | None,
    value: Decimal | None,
    text: str | None,
) -> str:
    if analyte.normal_text is not None:
        expected = analyte.normal_text.strip().casefold()
        return "normal" if (text or "").strip().casefold() == expected else "high"
    if value is None:
        return "normal"
    if analyte.critical_low is not None and value < analyte.critical_low:
        return "critical_low"
    if analyte.critical_high is not None and value > analyte.critical_high:
        return "critical_high"
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "normal"


FLAG_WORDS = {
    "normal": "normal",
    "low": "low",
    "high": "high",
    "critical_low": "critical low",
    "critical_high": "critical high",
}


def display_value(value: Decimal | float | None, text: str | None) -> str:
    if text is not None:
        return text
    if value is None:
        return ""
    number = Decimal(str(value)).normalize()
    shown = f"{number:f}"
    return shown


def display_range(low: Decimal | float | None, high: Decimal | float | None) -> str:
    if low is not None and high is not None:
        return f"{display_value(low, None)}–{display_value(high, None)}"
    if high is not None:
        return f"< {display_value(high, None)}"
    if low is not None:
        return f"> {display_value(low, None)}"
    return ""


def summary_flag(flags: Sequence[str]) -> str | None:
    if any(f in CRITICAL for f in flags):
        return "critical"
    if any(f != "normal" for f in flags):
        return "abnormal"
    return None
