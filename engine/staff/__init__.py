"""Staff accounts: roles and password hashes."""
