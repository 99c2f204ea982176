"""Appointments: free slots, conflict-free booking, the visit's status from booked to done."""
