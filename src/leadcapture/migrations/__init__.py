"""Alembic migration scripts for leadcapture's SQL stores."""
