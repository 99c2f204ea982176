"""Which domain events become whose notifications. Connected once when the app starts."""

from __future__ import annotations


def connect() -> None:
    from openward.core import events
    from openward.lab import events as lab_events
    from openward.notifications import reactions
    from openward.pharmacy import events as pharmacy_events
    from openward.radiology import events as radiology_events

    events.subscribe(lab_events.CriticalResult, reactions.critical_result)
    events.subscribe(lab_events.ResultReady, reactions.lab_result_ready)
    events.subscribe(radiology_events.ReportReady, reactions.imaging_report_ready)
    events.subscribe(pharmacy_events.PrescriptionReady, reactions.prescription_ready)
    events.subscribe(pharmacy_events.RenewalRequested, reactions.renewal_requested)
    events.subscribe(pharmacy_events.RenewalDecided, reactions.renewal_decided)
