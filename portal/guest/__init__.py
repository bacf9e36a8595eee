"""The guest entry: what ``ssh welcome@host`` opens, without a password.

Three things only: request an account, activate an invited account, reset a forgotten
password. ``GuestApp`` is a small Textual app of its own (no member, no member screens),
drawn by the same SSH driver as the member space.
"""
