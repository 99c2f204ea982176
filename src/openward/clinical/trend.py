"""The vital-signs trend drawn as server-side SVG geometry (the CSP forbids inline styles and
scripts, so the template only places points; colours come from the stylesheet)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from openward.clinical.schemas import VitalsOut
from openward.clinical.vitals import NORMAL

WIDTH, HEIGHT = 320, 120
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 22

# title, unit, series (field, css class), the range shown as a band
PANELS: tuple[tuple[str, str, tuple[tuple[str, str], ...], str | None], ...] = (
    ("Blood pressure", "mmHg", (("systolic", "ow-line-a"), ("diastolic", "ow-line-b")), None),
    ("Pulse", "/min", (("pulse", "ow-line-a"),), "pulse"),
    ("Temperature", "°C", (("temperature", "ow-line-a"),), "temperature"),
    ("SpO2", "%", (("spo2", "ow-line-a"),), "spo2"),
    ("Weight", "kg", (("weight_kg", "ow-line-a"),), None),
)


@dataclass
class Line:
    css: str
    points: str
    dots: list[tuple[float, float, str, bool]] = field(default_factory=list)  # x, y, label, flag


@dataclass
class Panel:
    title: str
    unit: str
    lines: list[Line]
    y_labels: list[tuple[float, str]]
    x_labels: list[tuple[float, str]]
    band: tuple[float, float] | None  # y of the normal range's top and bottom
    latest: str


def _fmt(value: float) -> str:
    return f"{value:.1f}" if value != int(value) else str(int(value))


def trend_panels(vitals: Sequence[VitalsOut], zone: ZoneInfo) -> list[Panel]:
    """One small chart per measure that has at least one value; `vitals` oldest first."""
    panels = []
    for title, unit, series, band_field in PANELS:
        taken = [
            (v, [(name, getattr(v, name)) for name, _css in series])
            for v in vitals
            if any(getattr(v, name) is not None for name, _css in series)
        ]
        if not taken:
            continue
        numbers = [float(x) for _v, pairs in taken for _n, x in pairs if x is not None]
        low, high = min(numbers), max(numbers)
        if band_field:
            normal_low, normal_high = (float(b) for b in NORMAL[band_field])
            low, high = min(low, normal_low), max(high, normal_high)
        if title == "Blood pressure":
            low, high = min(low, 60.0), max(high, 139.0)
        pad = (high - low) * 0.08 or 1.0
        low, high = low - pad, high + pad
        start, end = taken[0][0].taken_at, taken[-1][0].taken_at
        span = (end - start).total_seconds() or 1.0
        count = len(taken)

        def x_of(moment, start=start, span=span, count=count) -> float:
            if count == 1:
                return LEFT + (WIDTH - LEFT - RIGHT) / 2
            return LEFT + (moment - start).total_seconds() / span * (WIDTH - LEFT - RIGHT)

        def y_of(value: float, low=low, high=high) -> float:
            return TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM)

        lines = []
        for name, css in series:
            dots = []
            for v, _pairs in taken:
                value = getattr(v, name)
                if value is None:
                    continue
                when = v.taken_at.astimezone(zone).strftime("%d %b %H:%M")
                dots.append(
                    (
                        round(x_of(v.taken_at), 1),
                        round(y_of(float(value)), 1),
                        f"{when}: {_fmt(float(value))} {unit}",
                        name in v.flags,
                    )
                )
            lines.append(Line(css, " ".join(f"{x},{y}" for x, y, _l, _f in dots), dots))
        band = None
        if band_field:
            band = (
                round(y_of(float(NORMAL[band_field][1])), 1),
                round(y_of(float(NORMAL[band_field][0])), 1),
            )
        last = taken[-1][1]
        latest = "/".join(_fmt(float(x)) for _n, x in last if x is not None)
        panels.append(
            Panel(
                title=title,
                unit=unit,
                lines=lines,
                y_labels=[(round(y_of(v), 1), _fmt(round(v, 1))) for v in (high - pad, low + pad)],
                x_labels=[
                    (round(x_of(start), 1), start.astimezone(zone).strftime("%d %b")),
                    (round(x_of(end), 1), end.astimezone(zone).strftime("%d %b")),
                ]
                if len(taken) > 1
                else [(round(x_of(start), 1), start.astimezone(zone).strftime("%d %b"))],
                band=band,
                latest=f"{latest} {unit}",
            )
        )
    return panels
