"""Messages to the operator (``DRAWWATCH_ADMIN_URLS``): feed outages and recoveries, unknown round names,
alerts gone dead. Each is sent once per event, never per check.

Plain text to every admin URL; failures to reach the operator are logged, never raised, so they cannot
break a check.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from drawwatch.app.deliver import DeliveryStats
from drawwatch.config import Settings
from drawwatch.domain.secrets import masked_text, masked_url
from drawwatch.notify.message import RenderedMessage

if TYPE_CHECKING:
    from drawwatch.app.check import CheckSummary

log = logging.getLogger("drawwatch.admin")


async def tell_operator(settings: Settings, subject: str, body: str) -> bool:
    """Send one message to every admin URL; True when at least one accepted it."""
    urls = [u.get_secret_value() for u in settings.admin_urls]
    if not urls:
        log.warning("operator not told (no DRAWWATCH_ADMIN_URLS): %s", subject)
        return False
    from drawwatch.notify.sending import send  # apprise is imported only when something is sent

    message = RenderedMessage(subject=subject, text=body, html=_as_html(body))
    results = await send(urls, message, timeout=settings.delivery_timeout)
    for result in results:
        if not result.ok:
            log.warning("could not reach the operator via %s: %s", result.url, result.error or result.status)
    return any(r.ok for r in results)


MAX_LISTED = 50  # alerts named in one operator message; the rest are counted


def _bullets(items: list[str]) -> str:
    """``items`` as "- " lines, at most :data:`MAX_LISTED`, then how many more there are."""
    lines = "\n".join(f"- {item}" for item in items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return lines + (f"\n… and {more} more" if more > 0 else "")


async def tell_operator_about_delivery(settings: Settings, stats: DeliveryStats) -> None:
    """Alerts given up (dead) and sends that may or may not have arrived (ambiguous): once each."""
    if stats.ambiguous_alerts:
        count = len(stats.ambiguous_alerts)
        await tell_operator(
            settings,
            f"drawwatch: {count} alert(s) may not have arrived",
            f"{count} alert(s) were sent but the service did not answer in time, so they may or may not have "
            f"arrived:\n{_bullets(stats.ambiguous_alerts)}\n\ndrawwatch does not resend these by itself (a slow "
            "service usually delivered them, and a resend would be a duplicate). If one did not arrive, resend "
            "it with `drawwatch alerts retry ID`. See `drawwatch alerts list --status ambiguous`.",
        )
    if stats.dead_alerts:
        count = len(stats.dead_alerts)
        await tell_operator(
            settings,
            f"drawwatch: {count} alert(s) undeliverable",
            f"{count} alert(s) could not be delivered after {settings.delivery_max_attempts} tries and were "
            f"given up:\n{_bullets(stats.dead_alerts)}\n\nSee `drawwatch alerts list --status dead`.",
        )


def _as_html(text: str) -> str:
    from html import escape

    return "<br>".join(escape(line) for line in text.splitlines())


def feed_anomalies(summary: CheckSummary) -> list[tuple[str, str]]:
    """What a check found odd in the feed, as (subject, body) notices: told once per feed content, since
    an unchanged copy is not looked at again and a held copy is announced only when first held."""
    notices = []
    if summary.held and summary.held.get("news"):
        notices.append(
            (
                "drawwatch: a feed was held for you",
                f"{summary.error}\n\nNothing stored was changed and nobody was alerted. Look at it with "
                f"`drawwatch draws held`, then `drawwatch draws accept {summary.held['id']}` to store it "
                f"or `drawwatch draws reject {summary.held['id']}` to discard it.",
            )
        )
    if summary.suspect_rounds:
        numbers = ", ".join(f"#{n}" for n in summary.suspect_rounds[:10])
        notices.append(
            (
                "drawwatch: a suspect round number",
                f"The feed lists {numbers}, far past the newest stored round: taken for a typo, not stored and "
                "not alerted. Later rounds are stored as usual.",
            )
        )
    if summary.withdrawn_rounds:
        numbers = ", ".join(f"#{n}" for n in summary.withdrawn_rounds)
        notices.append(
            (
                "drawwatch: rounds left the feed",
                f"{numbers} left the feed while newer rounds came: taken as withdrawn or renumbered by IRCC. "
                "They stay stored; copies that lack them are no longer taken for stale copies.",
            )
        )
    return notices


async def tell_operator_about_check(settings: Settings, summary: CheckSummary) -> None:
    """Feed outages (once, when the streak reaches the threshold), recoveries, and unknown round names.

    The feed URL and the error are masked (:mod:`drawwatch.domain.secrets`): a password in the feed URL
    must not travel to a chat service or a mailbox.
    """
    threshold = settings.admin_failure_threshold
    feed = masked_url(summary.feed_url)
    if summary.outcome == "failed" and summary.consecutive_failures == threshold:
        error = masked_text(summary.error or "", [summary.feed_url, settings.feed_url])
        await tell_operator(
            settings,
            f"drawwatch: the rounds feed failed {threshold} checks in a row",
            f"The last {threshold} checks of {feed} failed; the latest error:\n{error}\n\n"
            "Stored rounds are untouched. You will be told once when it recovers.",
        )
    if summary.outcome != "failed" and summary.recovered_after >= threshold:
        await tell_operator(
            settings,
            "drawwatch: the rounds feed is back",
            f"{feed} answered again after {summary.recovered_after} failed checks.",
        )
    for subject, body in feed_anomalies(summary):
        await tell_operator(settings, subject, body)
    if summary.unknown_names:
        names = "\n".join(f"- {name!r}" for name in summary.unknown_names)
        await tell_operator(
            settings,
            "drawwatch: a round type no rule recognises",
            f"New round name(s) in the feed:\n{names}\n\nThe rounds are stored with category 'other' and nobody is "
            "alerted for them until a rule in drawwatch/categories.py knows the name.",
        )
