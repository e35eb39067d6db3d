"""Fixtures shared by the end-to-end tests."""

from tests.e2e.stack import stack

__all__ = ["stack"]
