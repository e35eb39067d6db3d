"""``drawwatch serve``: the self-service sign-up site (:mod:`drawwatch.web`) under waitress."""

from __future__ import annotations

import logging
import signal
from typing import Any

import click

from drawwatch.cli.base import Context, UserError, friendly_errors, pass_ctx

log = logging.getLogger("drawwatch.cli.serve")


@click.command(short_help="Serve the sign-up site (waitress).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port.")
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True, help="Request threads.")
@pass_ctx
@friendly_errors
def serve(obj: Context, host: str, port: int, threads: int) -> None:
    """Serve the sign-up site: sign up with the CRS calculator (double opt-in by e-mail), manage one's
    settings, see the backtest, download or delete one's data, unsubscribe in one click (RFC 8058).

    Needs DRAWWATCH_PUBLIC_URL (the address subscribers reach, base of every link), DRAWWATCH_SECRET_KEYS
    (signing secrets, newest last) and DRAWWATCH_MAIL_URL (the apprise mailto:// URL it sends from, without
    a recipient). It uses the daemon's database (DRAWWATCH_DATABASE_URL), migrating it first. Put it behind
    a TLS-terminating proxy (set DRAWWATCH_WEB_PROXY_HOPS to trust its X-Forwarded-For). Requests are not
    logged; SIGTERM stops it after the requests in flight.
    """
    settings = obj.settings
    from drawwatch.app import links
    from drawwatch.domain.errors import ConfigError

    try:
        links.public_url(settings)
        links.secret_keys(settings)
        if settings.mail_url is None:
            raise ConfigError(
                "DRAWWATCH_MAIL_URL is not set: give the apprise mailto:// or mailtos:// URL the site sends "
                "from, without a recipient"
            )
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    engine = obj.engine  # opens and migrates the daemon's database
    from waitress.server import create_server

    from drawwatch.web import create_app

    app = create_app(settings, engine)
    # waitress logs no request lines (there is no access log to leak addresses or links); its own
    # "Serving on" line names only the address it listens on.
    server: Any = create_server(app, host=host, port=port, threads=threads, ident="drawwatch")
    bound = f"{server.effective_host}:{server.effective_port}"
    click.echo(f"drawwatch: serving the sign-up site on http://{bound} for {settings.public_url}", err=True)

    def stop(signum: int, _frame: Any) -> None:
        # waitress' run() takes SystemExit as "stop": it lets the request threads finish, then returns.
        log.info("received %s: stopping", signal.Signals(signum).name)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.run()
    finally:
        mailer = app.extensions["drawwatch"].mailer
        mailer.close()
