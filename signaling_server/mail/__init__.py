"""Reminder and invitation mail (contract v1.1, "Scheduling"): sent only when ``NIMEET_SMTP_URL`` is set."""
