"""Persistence: the SQLAlchemy Core schema, its Alembic migrations and the engine."""
