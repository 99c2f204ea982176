"""Pharmacy: the medicine catalogue, stock lots, prescriptions, safety checks, dispensing."""
