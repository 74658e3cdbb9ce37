"""The application database: SQLAlchemy 2 tables, the engine, Alembic migrations."""
