"""What radiology tells the rest of the hospital."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openward.core.events import Event


@dataclass(frozen=True)
class ReportReady(Event):
    """An imaging report was verified: the doctor and the patient may read it."""

    NAME = "radiology.report_ready"
    order_id: int
    patient_id: int
    doctor_user_id: int | None
    exam: str  # exam name
    released_at: datetime | None = None  # when the patient may read it


@dataclass(frozen=True)
class ReportAcknowledged(Event):
    """The requesting doctor acknowledged the verified report: it reaches the patient now."""

    NAME = "radiology.report_acknowledged"
    order_id: int
    patient_id: int
    exam: str
