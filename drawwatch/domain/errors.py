"""drawwatch's own errors: one root, a few kinds that say who can fix the problem.

The command line turns exactly these (and the settings' validation errors) into one line and exit status 2;
anything else is a bug and keeps its traceback. The kinds that describe bad input also subclass
``ValueError``, so code that validates with ``except ValueError`` keeps working.
"""

from __future__ import annotations


class DrawwatchError(Exception):
    """Root of every error drawwatch raises on purpose."""


class InvalidInput(DrawwatchError, ValueError):
    """Something a person gave (an option, a file, a form field, a bot command) is not valid; nothing was stored."""


class ConfigError(InvalidInput):
    """A setting (environment variable, TOML file, template folder) is wrong; the operator fixes it."""


class StorageError(DrawwatchError, ValueError):
    """The database cannot be used as configured (unsupported or garbled URL, SQLite too old, migrations)."""


class NotFound(DrawwatchError, LookupError):
    """The subscriber, round or alert named does not exist."""
