"""Notification API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    severity: str
    title: str
    body: str | None
    link: str | None
    patient_id: int | None
    read: bool
    read_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, note) -> NotificationOut:
        return cls(
            id=note.id,
            kind=note.kind,
            severity=note.severity,
            title=note.title,
            body=note.body,
            link=note.link,
            patient_id=note.patient_id,
            read=note.read_at is not None,
            read_at=note.read_at,
            created_at=note.created_at,
        )


class NotificationList(BaseModel):
    items: list[NotificationOut]
    total: int
    unread: int


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int
