"""Deadlines once set: timer sweep, escalations and reminders, daily digest, team lead's board, due times."""
