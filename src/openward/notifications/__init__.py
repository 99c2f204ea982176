"""Notifications: in-app messages to one user, fed by domain events."""
