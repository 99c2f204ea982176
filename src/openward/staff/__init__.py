"""Departments, doctors' profiles and their weekly availability."""
