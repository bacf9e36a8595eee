"""Screens: one per module. Member screens here, manager screens under manage/."""
