"""Staff's pages, one module per subject: departments, creating and editing doctors, and the
weekly schedule editor. The directory and a doctor's profile (with free slots) are
scheduling's (scheduling.doctors_pages); this router must come before it, so /doctors/new
is matched before /doctors/{doctor_id}."""

from fastapi import APIRouter

from openward.staff.pages import availability, departments, doctors

router = APIRouter(include_in_schema=False)
router.include_router(departments.router)
router.include_router(doctors.router)
router.include_router(availability.router)
