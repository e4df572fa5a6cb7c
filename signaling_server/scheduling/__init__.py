"""Meetings planned ahead (contract v1.1 "Scheduling"): recurrence, time zones and calendar files."""
