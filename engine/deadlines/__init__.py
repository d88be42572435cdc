"""Deadlines once set: the timer sweep, the daily digest, the team lead's board, how due times read."""
