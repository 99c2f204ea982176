"""Sign-in, sign-out, staff registration, one's own account and the admin's user pages
(the patient's own registration page is in the patients domain)."""

from __future__ import annotations

from fastapi import APIRouter

from openward.identity.pages import account, sign_in, staff_registration, users

router = APIRouter(include_in_schema=False)
# The order URLs are matched in; keep it (users.py declares /admin/users/new before
# /admin/users/{user_id}).
router.include_router(sign_in.router)
router.include_router(staff_registration.router)
router.include_router(account.router)
router.include_router(users.router)
