"""Management screens (managers and admins)."""
