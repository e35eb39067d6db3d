"""E-mail addresses as the sign-up site takes them: a deliberately plain subset of RFC 5321.

The address ends up in an apprise ``mailto://…?to=ADDRESS`` URL, where a comma, a space or an ``&`` would
add recipients or options, so only the characters ordinary addresses use are accepted: letters, digits and
``. _ + -`` before the ``@``, a dotted domain name after it. Messages never quote the address.
"""

from __future__ import annotations

import re
from typing import Final

MAX_ADDRESS: Final = 254  # RFC 5321's limit on a forward path, less the brackets
MAX_LOCAL: Final = 64
_LOCAL: Final = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")
_LABEL: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def email_problem(address: object) -> str | None:
    """Why ``address`` is not an e-mail address the site takes, or None."""
    if not isinstance(address, str) or not address.strip():
        return "an e-mail address is required"
    text = address.strip()
    if len(text) > MAX_ADDRESS:
        return f"an e-mail address has at most {MAX_ADDRESS} characters"
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return "this is not an e-mail address (name@example.org)"
    if len(local) > MAX_LOCAL or not _LOCAL.fullmatch(local):
        return "the part before @ may hold letters, digits and . _ + - only"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return "the part after @ must be a domain name such as example.org"
    return None
