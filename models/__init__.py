"""Pure domain: pydantic shapes and business rules. Imports neither temporalio nor SQLAlchemy."""
