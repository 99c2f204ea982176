"""patients' phones in E.164 beside the record, indexed: one number however it was written

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 01:30:00

The front desk types a phone as the patient says it: "07700 900123" (national), "+44 7700
900123" or "0044 7700 900123". phone_e164 keeps the one E.164 form of each (national numbers
read in OPENWARD_PHONE_REGION), so a search or a duplicate check finds a number written any
of those ways by one lookup of ix_patients_phone_e164 on both databases. Existing phones are
converted here, in batches (a million patients: about a minute).
"""

from __future__ import annotations

import phonenumbers
import sqlalchemy as sa
from alembic import op

from openward.config import get_settings

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_BATCH = 5000


def _phone_key(text: str | None, region: str) -> str | None:
    """A copy of patients.search_keys.phone_key as it is at this revision."""
    digits = "".join(str(int(c)) for c in (text or "") if c.isdecimal())
    if not text or len(digits) < 5:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch_op:
        batch_op.add_column(sa.Column("phone_e164", sa.String(length=20), nullable=True))
    region = get_settings().phone_region
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, phone FROM patients WHERE id > :after AND phone IS NOT NULL "
                "ORDER BY id LIMIT :batch"
            ),
            {"after": after, "batch": _BATCH},
        ).fetchall()
        if not rows:
            break
        after = rows[-1].id
        keys = [
            {"id": row.id, "key": key}
            for row in rows
            if (key := _phone_key(row.phone, region)) is not None
        ]
        if keys:
            bind.execute(sa.text("UPDATE patients SET phone_e164 = :key WHERE id = :id"), keys)
    with op.batch_alter_table("patients") as batch_op:
        batch_op.create_index("ix_patients_phone_e164", ["phone_e164"])


def downgrade() -> None:
    with op.batch_alter_table("patients") as batch_op:
        batch_op.drop_index("ix_patients_phone_e164")
    # Dropped in place (SQLite 3.35+ can): copying the table, as batch mode would, is refused
    # by the foreign keys of appointments and every other patient row.
    op.execute("ALTER TABLE patients DROP COLUMN phone_e164")
