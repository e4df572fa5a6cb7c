"""Accounts: password hashing and access tokens."""
