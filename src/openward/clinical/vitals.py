"""Vital signs: what a value may physically be, the adult reference ranges that flag it,
and the BMI.

Reference ranges (adults at rest; a flag asks for a second look, it is no diagnosis):

    systolic           90-139 mmHg
    diastolic          60-89 mmHg
    pulse              50-100 /min
    respiratory_rate   12-20 /min
    temperature        36.0-37.9 °C
    spo2               94-100 %
    bmi                18.5-29.9 kg/m²

Values outside PLAUSIBLE cannot be a living patient's reading (a typing slip such as a pulse
of 5000 or a negative pressure) and are refused, naming the field."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# field -> (low, high) of the normal adult range, both inclusive
NORMAL: dict[str, tuple[Decimal, Decimal]] = {
    "systolic": (Decimal(90), Decimal(139)),
    "diastolic": (Decimal(60), Decimal(89)),
    "pulse": (Decimal(50), Decimal(100)),
    "respiratory_rate": (Decimal(12), Decimal(20)),
    "temperature": (Decimal("36.0"), Decimal("37.9")),
    "spo2": (Decimal(94), Decimal(100)),
    "bmi": (Decimal("18.5"), Decimal("29.9")),
}

# field -> (lowest, highest) value a measurement can have at all
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "systolic": (30, 300),
    "diastolic": (10, 200),
    "pulse": (10, 300),
    "respiratory_rate": (2, 80),
    "temperature": (25.0, 45.0),
    "spo2": (30, 100),
    "weight_kg": (0.3, 500.0),
    "height_cm": (20.0, 272.0),
}

FIELDS = (
    "systolic",
    "diastolic",
    "pulse",
    "respiratory_rate",
    "temperature",
    "spo2",
    "weight_kg",
    "height_cm",
)

LABELS = {
    "systolic": "Systolic",
    "diastolic": "Diastolic",
    "pulse": "Pulse",
    "respiratory_rate": "Respiratory rate",
    "temperature": "Temperature",
    "spo2": "SpO2",
    "weight_kg": "Weight",
    "height_cm": "Height",
    "bmi": "BMI",
}

UNITS = {
    "systolic": "mmHg",
    "diastolic": "mmHg",
    "pulse": "/min",
    "respiratory_rate": "/min",
    "temperature": "°C",
    "spo2": "%",
    "weight_kg": "kg",
    "height_cm": "cm",
    "bmi": "kg/m²",
}


def bmi(weight_kg: Decimal | float | None, height_cm: Decimal | float | None) -> Decimal | None:
    """Body-mass index to one decimal, or None without both measurements."""
    if weight_kg is None or height_cm is None or Decimal(height_cm) <= 0:
        return None
    metres = Decimal(height_cm) / 100
    value = Decimal(weight_kg) / (metres * metres)
    if value >= 1000:  # cannot be stored; PLAUSIBLE keeps real readings far below
        return None
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def flags(values: dict[str, object]) -> list[str]:
    """The fields whose value lies outside the normal range, in the order of NORMAL."""
    out = []
    for field, (low, high) in NORMAL.items():
        value = values.get(field)
        if value is None:
            continue
        number = Decimal(str(value))
        if number < low or number > high:
            out.append(field)
    return out
