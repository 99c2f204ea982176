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


@dataclass(frozen=True)
class InboxRow:
    """One result or report waiting in a doctor's results inbox (lab and radiology alike)."""

    at: datetime  # when it became ready (aware UTC)
    kind: str  # "lab" or "imaging"
    order_id: int
    patient_id: int
    patient_name: str
    mrn: str
    title: str  # test or exam names
    status: str  # resulted, verified, reported...
    flag: str | None  # None, "abnormal" or "critical"
    link: str
