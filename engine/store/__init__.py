"""Persistence: tables, database connections, schema migrations, the encrypted case store, the projections."""
