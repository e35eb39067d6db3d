"""Ports on 127.0.0.1 for peers that cannot report the one the kernel gave them, and for refused connections."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port that was free a moment ago (aiosmtpd's ``Controller(port=0)`` cannot report its port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on, so a connection attempt is refused at once."""
    return free_port()
