"""Alembic migrations of drawwatch's schema, shipped in the package and run by :mod:`drawwatch.storage.migrate`.

See README in this directory for how to add a revision.
"""
