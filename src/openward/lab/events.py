"""What the laboratory tells the rest of the hospital."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openward.core.events import Event


@dataclass(frozen=True)
class CriticalResult(Event):
    """A result beyond a critical limit was entered: the ordering doctor must hear at once."""

    NAME = "lab.critical_result"
    order_id: int
    patient_id: int
    doctor_user_id: int | None
    # Human-readable lines, e.g. "Potassium 6.9 mmol/L (critical high)".
    findings: tuple[str, ...]


@dataclass(frozen=True)
class ResultReady(Event):
    """An order's results were verified: the doctor and the patient may read them."""

    NAME = "lab.result_ready"
    order_id: int
    patient_id: int
    doctor_user_id: int | None
    tests: tuple[str, ...]  # test names
    abnormal: bool
    released_at: datetime | None = None  # when the patient may read them


@dataclass(frozen=True)
class ResultAcknowledged(Event):
    """The ordering doctor acknowledged verified results: they reach the patient now."""

    NAME = "lab.result_acknowledged"
    order_id: int
    patient_id: int
    tests: tuple[str, ...]
