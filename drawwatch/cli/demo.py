"""`drawwatch demo`: the whole loop, offline, in a throwaway database."""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import click

from drawwatch.app.display import summary_text
from drawwatch.cli.base import friendly_errors


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's database, feed copies and alert in this directory (it must be empty or absent).",
)
@friendly_errors
def demo(keep: Path | None) -> None:
    """Show the whole loop without network or configuration: history, a subscriber, a new round, its alert.

    Uses the copy of IRCC's feed that ships with drawwatch and a temporary SQLite database; your own
    database, settings and channels are not touched. The alert goes through apprise to a json:// inbox on
    127.0.0.1 and is printed here.
    """
    from drawwatch.app.demo import run_demo
    from drawwatch.app.runtime import run_on_reactor

    if keep is not None and keep.exists() and any(keep.iterdir()):
        raise click.BadParameter(f"{keep} is not empty", param_hint="--keep")
    workdir = keep or Path(tempfile.mkdtemp(prefix="drawwatch-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    holder: dict[str, Any] = {}

    async def main() -> int:
        holder["result"] = await run_demo(workdir)
        return 0

    try:
        code = run_on_reactor(main)
        result = holder.get("result")
        if result is None:
            raise click.ClickException("the demo did not complete (see the log above)")
        _show(result, kept=keep is not None)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if code or not result.inbox:
        raise click.ClickException("the demo's alert did not arrive (see the log above)")


def _show(result: Any, *, kept: bool) -> None:
    from drawwatch.app.display import terminal_width

    width = terminal_width()

    def block(text: str) -> None:
        """``text`` indented and wrapped to the terminal, long words (links) kept whole."""
        for line in text.strip().splitlines():
            hang = "   " + " " * (len(line) - len(line.lstrip()))
            click.echo(
                textwrap.fill(
                    line.strip(),
                    width,
                    initial_indent=hang,
                    subsequent_indent=hang,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
                if line.strip()
                else ""
            )

    def step(text: str) -> None:
        click.echo(click.style(textwrap.fill(text, width), bold=True))

    step("1. The history, from the copy of IRCC's feed that ships with drawwatch, newest round held back:")
    block(summary_text(result.history))
    sub = result.subscriber
    categories = ", ".join(sub["categories"]) or "general rounds only"
    step(f"2. A sample subscriber: {sub['name']}, CRS {sub['crs']}, {categories}.")
    step("3. IRCC publishes the newest round; the next check finds it:")
    block(summary_text(result.news))
    step("4. The alert that arrived in the sample subscriber's inbox:")
    rule = "   " + "-" * max(width - 4, 20)
    for message in result.inbox:
        click.echo(rule)
        block("Subject: " + message.title)
        block(message.body)
    click.echo(rule)
    if kept:
        click.echo(f"Kept in {result.workdir}: demo.db, the feed copies and alert.txt. Explore it with")
        click.echo(f"  DRAWWATCH_DATABASE_URL=sqlite:///{result.workdir / 'demo.db'} drawwatch draws list")
    else:
        click.echo("The demo's temporary database is gone; your own database was not touched.")
    click.echo("Next: the README's quick start (subscribers add, then check or run).")
