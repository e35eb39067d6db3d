"""The bot's catalog: both languages say the same things with the same fields, and fit a Telegram message."""

from __future__ import annotations

import string

import pytest

from drawwatch.bot.phrases import CATALOG, language_of, say


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_in_both_languages_with_the_same_fields() -> None:
    assert CATALOG["en"].keys() == CATALOG["fr"].keys()
    for key, english in CATALOG["en"].items():
        assert fields(english) == fields(CATALOG["fr"][key]), key
        assert len(english) < 1000 and len(CATALOG["fr"][key]) < 1000


@pytest.mark.parametrize(
    ("code", "language"),
    [("fr", "fr"), ("fr-CA", "fr"), ("FR", "fr"), ("en-GB", "en"), ("de", "en"), (None, "en")],
)
def test_language_of(code: str | None, language: str) -> None:
    assert language_of(code) == language


def test_say_fills_fields() -> None:
    assert say("crs_saved", "en", crs=470).startswith("Saved: CRS 470.")
    assert say("crs_saved", "fr-CA", crs=470).startswith("Enregistré : SCG 470.")
