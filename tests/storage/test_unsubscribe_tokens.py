"""Unsubscribe tokens are typed on a command line (``drawwatch subscribers unsubscribe TOKEN``): none may
start with "-", which the command line takes for an option (one URL-safe token in 64 did)."""

from __future__ import annotations

from drawwatch.storage.models import new_unsubscribe_token


def test_no_token_starts_with_a_dash_and_each_is_32_url_safe_characters() -> None:
    tokens = [new_unsubscribe_token() for _ in range(20_000)]  # about 310 would start with "-" otherwise
    assert not [t for t in tokens if t.startswith("-")]
    assert {len(t) for t in tokens} == {32}
    assert len(set(tokens)) == len(tokens)
