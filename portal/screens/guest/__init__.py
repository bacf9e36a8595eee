"""Screens of the guest entry (``portal.guest.app.GuestApp``)."""
