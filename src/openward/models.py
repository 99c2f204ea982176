"""Imports every domain's models so Alembic and the tests see the whole schema."""

from __future__ import annotations


def load_all_models() -> None:
    from openward.clinical import models as clinical_models  # noqa: F401
    from openward.core import audit  # noqa: F401
    from openward.identity import models as identity_models  # noqa: F401
    from openward.lab import models as lab_models  # noqa: F401
    from openward.notifications import models as notifications_models  # noqa: F401
    from openward.patients import models as patients_models  # noqa: F401
    from openward.pharmacy import models as pharmacy_models  # noqa: F401
    from openward.radiology import models as radiology_models  # noqa: F401
    from openward.scheduling import models as scheduling_models  # noqa: F401
    from openward.staff import models as staff_models  # noqa: F401
