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
    acknowledged_at: datetime | None = None  # by the ordering doctor
    acknowledged_by_name: str | None = None
    acknowledge_url: str | None = None  # the page form that acknowledges it, while it may

    @property
    def to_acknowledge(self) -> bool:
        return self.status == "verified" and self.acknowledged_at is None


def inbox_order(row: InboxRow) -> tuple[bool, bool, float]:
    """Critical results not yet acknowledged first, then other critical ones, then newest."""
    critical = row.flag == "critical"
    return (not (critical and row.to_acknowledge), not critical, -row.at.timestamp())
