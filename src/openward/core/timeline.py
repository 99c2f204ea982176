"""One entry of a patient's timeline, as each domain describes its own events for the chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineItem:
    at: datetime  # aware UTC
    kind: str  # encounter, vitals, prescription, lab, imaging, ...
    title: str  # "Lipid panel — verified"
    detail: str = ""
    link: str | None = None  # a page for this entry, for the reader's role
    flag: str | None = None  # None, "abnormal" or "critical": the chart highlights these
