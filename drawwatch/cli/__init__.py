"""The ``drawwatch`` command line. Thin: parses options, calls one function, prints the result.

One module per command group; :mod:`drawwatch.cli.base` holds what they share. Only this package turns
errors into exit codes."""

from __future__ import annotations

import logging

import click

from drawwatch import __version__
from drawwatch.cli.alerts import alerts, notify
from drawwatch.cli.backtest import backtest
from drawwatch.cli.base import Context, setup_logging
from drawwatch.cli.bot import bot
from drawwatch.cli.check import check, deliver, health, run
from drawwatch.cli.crs import crs
from drawwatch.cli.db import db
from drawwatch.cli.demo import demo
from drawwatch.cli.eligibility import eligibility
from drawwatch.cli.report import report
from drawwatch.cli.rounds import rounds
from drawwatch.cli.serve import serve
from drawwatch.cli.subscribers import subscribers


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="drawwatch")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v: info, -vv: debug).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log line format.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int, log_format: str) -> None:
    """Watch Canada's Express Entry rounds of invitations and alert subscribers whose CRS clears a cut-off.

    Settings come from DRAWWATCH_* environment variables (e.g. DRAWWATCH_DATABASE_URL, DRAWWATCH_FEED_URL)
    and an optional TOML file named by DRAWWATCH_CONFIG. See the README.
    """
    # The daemon logs one line per check at INFO; one-shot commands print their result and log only warnings.
    setup_logging(verbose, log_format, logging.INFO if ctx.invoked_subcommand == "run" else logging.WARNING)
    ctx.obj = Context()


for command in (
    check,
    rounds,
    run,
    health,
    deliver,
    subscribers,
    alerts,
    notify,
    eligibility,
    crs,
    db,
    report,
    demo,
    serve,
    bot,
):
    cli.add_command(command)
subscribers.add_command(backtest)


def main() -> None:
    cli(prog_name="drawwatch")
