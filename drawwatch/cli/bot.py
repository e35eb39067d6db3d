"""``drawwatch bot``: the Telegram bot people subscribe to themselves (:mod:`drawwatch.bot`)."""

from __future__ import annotations

import asyncio
import logging
import signal

import click

from drawwatch.cli.base import Context, UserError, friendly_errors, pass_ctx

log = logging.getLogger("drawwatch.cli.bot")


@click.command(short_help="Run the Telegram bot (chats subscribe themselves).")
@pass_ctx
@friendly_errors
def bot(obj: Context) -> None:
    """Run the Telegram bot until SIGTERM/SIGINT: chats send /start, /crs 480, /categories stem … and get
    their alerts through the outbox like every other channel (the daemon or `drawwatch deliver` sends them).

    Needs DRAWWATCH_TELEGRAM_BOT_TOKEN (from @BotFather; never printed); DRAWWATCH_TELEGRAM_API_URL points it
    at a self-hosted Bot API server. Long-polls getUpdates with the offset kept in the database, so across
    restarts no update is handled twice or lost; a lease in the database keeps a second process (here or in
    `drawwatch run --bot`) on standby instead of polling too.
    """
    from drawwatch.domain.errors import ConfigError

    settings = obj.settings
    from drawwatch.bot.runner import bot_token

    try:
        bot_token(settings)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    engine = obj.engine  # opens and migrates the database
    from drawwatch.bot.runner import run_bot

    root = logging.getLogger()
    if root.level == logging.WARNING:  # no -v: the bot says when it starts polling and what fails
        root.setLevel(logging.INFO)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        click.echo("drawwatch: the bot is running (SIGTERM or Ctrl-C stops it)", err=True)
        await run_bot(settings, engine, stop=stop)

    asyncio.run(main())
    click.echo("drawwatch: the bot stopped", err=True)
