"""The sign-up site: a subscriber's own surface over :mod:`drawwatch.app` (``drawwatch serve``).

``drawwatch.web:create_app`` is the WSGI application factory (e.g. ``waitress-serve --call
drawwatch.web:create_app``); importing this package loads Flask, so the command line imports it only inside
``drawwatch serve``.
"""

from __future__ import annotations

from drawwatch.web.app import create_app

__all__ = ["create_app"]
