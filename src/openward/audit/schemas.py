"""Audit trail API shapes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    actor_username: str
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    patient_id: int | None
    ip: str | None
    user_agent: str | None
    outcome: str
    reason: str | None
    detail: dict[str, Any] | None
    # The event's place in the tamper-evident chain and its hash; both empty for the few
    # seconds before the sealer links a new event into the chain.
    seq: int | None = None
    hash: str | None

    @field_validator("detail", mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value


class AuditList(BaseModel):
    items: list[AuditEventOut]
    total: int


class ChainOut(BaseModel):
    ok: bool
    checked: int
    broken_id: int | None
    problem: str | None
    finding: str | None = Field(
        description="chain_break, hmac_mismatch, tail_missing, checkpoint_head_missing, "
        "checkpoint_count_mismatch, checkpoint_bad_signature or checkpoint_unreadable"
    )
    legacy: int = Field(description="events from before keying, with the older unkeyed hash")
    checkpoints: int = Field(description="signed checkpoints the trail was held against")
