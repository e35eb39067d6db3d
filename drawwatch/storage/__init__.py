"""Storage: the SQLModel tables, the engine and sessions, and the repository functions that hold all SQL.

Nothing outside this package writes SQL; scrapers hand over validated items and the rest of drawwatch calls
the functions in :mod:`~drawwatch.storage.rounds`, :mod:`~drawwatch.storage.checks` (and, later, subscribers
and alerts).
"""
