"""Prescribing and pharmacy pages, one module per subject. `router` includes them in the
original order, so a URL matches the same route as before."""

from fastapi import APIRouter

from openward.pharmacy.pages import dispensing, medicines, prescriptions, stock

router = APIRouter(include_in_schema=False)
router.include_router(prescriptions.router)
router.include_router(dispensing.router)
router.include_router(stock.router)
router.include_router(medicines.router)
