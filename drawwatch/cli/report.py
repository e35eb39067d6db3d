"""``drawwatch report``: the static report (charts, rounds table, Atom feed, JSON/CSV exports)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from drawwatch.cli.base import Context, UserError, friendly_errors, pass_ctx, terminal_progress

if TYPE_CHECKING:
    pass


@click.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the site into (created if missing; files are replaced).",
)
@click.option(
    "--crs",
    type=click.IntRange(0, 1200),
    metavar="N",
    help="A reference CRS score to compare the rounds with: marked on the cut-off charts and the pool "
    "distribution; rounds whose cut-off is at or below it are green in the rounds table.",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Where the site will be served (https://…/): makes the Atom feed's links absolute.",
)
@pass_ctx
@friendly_errors
def report(obj: Context, out_dir: Path, crs: int | None, base_url: str | None) -> None:
    """Write a static report of every stored round into a directory.

    index.html (latest round per category, charts of cut-offs, invitations per month and the pool, the
    rounds table, filterable and sortable), a page per category, feed.atom, rounds.json and rounds.csv. The
    pages make no network requests: open index.html from disk or copy the directory to any static host.
    """
    from drawwatch.notify.render import TemplateProblem
    from drawwatch.report import write_report

    if base_url is not None and not base_url.startswith(("https://", "http://")):
        raise UserError(f"--base-url must start with https:// or http://, not {base_url!r}")
    try:
        with terminal_progress("Writing the report") as progress:
            result = write_report(
                obj.engine,
                out_dir,
                crs=crs,
                templates_dir=obj.settings.templates_dir,
                base_url=base_url,
                progress=progress,
            )
    except TemplateProblem as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write the report to {out_dir}: {exc.strerror or exc}") from None
    pages = len(result.categories)
    if not result.rounds:
        click.echo(f"No rounds stored yet (run `drawwatch check` first); wrote an empty report to {out_dir}.")
        return
    click.echo(
        f"Wrote the report of {result.rounds} rounds to {out_dir}: index.html, {pages} category page(s), "
        f"feed.atom, rounds.json, rounds.csv ({result.seconds:.2f} s)."
    )
