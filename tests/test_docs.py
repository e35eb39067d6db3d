"""The README's settings table and the settings module agree: every setting listed once, with its default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drawwatch.config import Settings, setting_default

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
ROWS = dict(re.findall(r"^\| `(DRAWWATCH_[A-Z_]+)` \| ([^|]+) \|", README, flags=re.M))


def test_every_setting_is_in_the_table_and_nothing_else() -> None:
    fields = {f"DRAWWATCH_{name.upper()}" for name in Settings.model_fields}
    assert sorted(fields - ROWS.keys()) == [], "settings missing from the README's table"
    assert sorted(ROWS.keys() - fields) == [], "README rows that are not settings"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_the_table_gives_each_numeric_default(name: str) -> None:
    default = setting_default(name)
    shown = ROWS[f"DRAWWATCH_{name.upper()}"].strip()
    if isinstance(default, bool) or not isinstance(default, int | float):
        pytest.skip("not a number: described in words")
    assert shown == f"`{default:g}`", (
        f"README says {shown} for DRAWWATCH_{name.upper()}, the code {default:g}"
    )


def test_the_docs_the_code_cites_exist() -> None:
    root = Path(__file__).resolve().parents[1]
    cited = set()
    for path in [*root.joinpath("drawwatch").rglob("*.py"), *root.joinpath("tests").rglob("*.py")]:
        cited |= set(re.findall(r"\bdocs/[a-z_-]+\.md\b", path.read_text()))
    assert cited, "no citation found: the pattern is wrong"
    assert sorted(c for c in cited if not (root / c).is_file()) == []
