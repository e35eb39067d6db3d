"""Delivery of a rendered alert through apprise, one independent result per notification URL.

One ``Apprise`` object per URL, built fresh for every send (apprise 2.3, checked by running it): results then
map to URLs without guessing, and a fresh plugin instance never sleeps in apprise's per-instance throttle (a
reused e-mail plugin waits 5.5 s before its second message). The URLs of one call are sent concurrently;
each send is bounded by ``timeout``, and one failing or hanging channel never holds up or fails the others.
An e-mail's text/plain part is the message's text rendering (:mod:`drawwatch.notify.email_parts`).
Each send runs with its URL's secrets masked and apprise's evidence captured
(:mod:`drawwatch.notify.log_guard`), the message fitted to the service (:mod:`drawwatch.notify.fitting`),
and its outcome classified (:mod:`drawwatch.notify.outcomes`); only the short WARNING-level error is ever
returned, scrubbed like everything else.

A send may carry the alert's idempotency key (``key``), the same on every try of one alert: a custom
webhook (``json://``, ``form://``, ``xml://`` and their secure forms) gets it as the ``Idempotency-Key``
header, an e-mail as its ``Message-ID`` (:func:`~drawwatch.notify.email_parts.message_id_for`), so a
receiver can drop the second copy that a crash between the send and its record can cause.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Final

from apprise import Apprise, AppriseResultStatus, NotifyFormat
from apprise.plugins.base import NotifyBase
from apprise.plugins.custom_form import NotifyForm
from apprise.plugins.custom_json import NotifyJSON
from apprise.plugins.custom_xml import NotifyXML
from apprise.plugins.email import NotifyEmail

from drawwatch.domain.errors import ConfigError
from drawwatch.notify.email_parts import message_id, message_id_for, plain_part
from drawwatch.notify.fitting import ChannelLimits, fit_message
from drawwatch.notify.log_guard import SCRUBBER, scrub
from drawwatch.notify.message import RenderedMessage
from drawwatch.notify.outcomes import INVALID_STATUS, ChannelResult, classify
from drawwatch.notify.urls import instantiate, placeholder, redact_plugin, url_secrets, why_unusable

_AMBIGUOUS_NOTE: Final = "sent, no answer (it may have arrived)"  # leads an ambiguous failure's error
_MAX_ERROR_LEN: Final = 300
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
# The plugins that POST to a URL of the operator's choosing, whose receiver can read a header of ours.
_WEBHOOKS: Final = (NotifyJSON, NotifyForm, NotifyXML)


async def send(
    urls: Sequence[str], message: RenderedMessage, *, timeout: float = 20, key: str | None = None
) -> list[ChannelResult]:
    """Send ``message`` to every URL concurrently; one :class:`ChannelResult` per URL, in order.

    Never raises for a channel's failure: an unusable URL, a refused connection, an error answer or a
    timeout is that URL's result. Nothing returned contains a secret. ``key`` (letters, digits, ``.-``)
    becomes the webhook's ``Idempotency-Key`` header and the e-mail's ``Message-ID``.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    return list(await asyncio.gather(*(_send_one(url, message, timeout, key) for url in urls)))


async def send_one(
    url: str,
    message: RenderedMessage,
    *,
    timeout: float = 20,
    key: str | None = None,
    email_headers: Mapping[str, str] | None = None,
) -> ChannelResult:
    """:func:`send` to one URL, without the task :func:`send` gathers its URLs in (the delivery loop's
    sends are concurrent already). ``email_headers`` go on the message when the URL is an e-mail one (the
    subscriber's List-Unsubscribe headers); their values are kept out of errors and logs like secrets."""
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    return await _send_one(url, message, timeout, key, email_headers)


def stamp(plugin: NotifyBase, key: str | None) -> str | None:
    """Put ``key`` on a webhook plugin's headers (unless the URL sets that header itself); the
    ``Message-ID`` an e-mail plugin's message must carry, else None."""
    if key is None:
        return None
    if isinstance(plugin, _WEBHOOKS):
        headers: dict[str, str] = plugin.headers
        if not any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers):
            headers[IDEMPOTENCY_HEADER] = key
        return None
    if isinstance(plugin, NotifyEmail):
        sender = plugin.from_addr[1] if isinstance(plugin.from_addr, (list, tuple)) else None
        return message_id_for(key, sender if isinstance(sender, str) else None)
    return None


def send_sync(
    urls: Sequence[str], message: RenderedMessage, *, timeout: float = 20, key: str | None = None
) -> list[ChannelResult]:
    """:func:`send` for code without an event loop (the CLI, tests); refuses to run inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(send(urls, message, timeout=timeout, key=key))
    raise RuntimeError("send_sync() called from a running event loop: await send() instead")


async def _send_one(
    url: str,
    message: RenderedMessage,
    timeout: float,
    key: str | None,
    email_headers: Mapping[str, str] | None = None,
) -> ChannelResult:
    plugin = instantiate(url)
    if plugin is None:
        return ChannelResult(url=placeholder(url), ok=False, status=INVALID_STATUS, error=why_unusable(url))

    redacted = redact_plugin(plugin)
    secrets = url_secrets(url, plugin, redacted=redacted)
    if email_headers and isinstance(plugin, NotifyEmail):  # after redacting: not part of the URL shown
        plugin.headers.update(email_headers)
        secrets |= set(email_headers.values())
    mail_id = stamp(plugin, key)  # after redacting: the key is no secret, but it is not part of the URL
    try:  # a part rendered only now (RenderedMessage's lazy html and short) may fail to render
        title, body, body_format = fit_message(ChannelLimits.of(plugin, url), message)
    except ConfigError as exc:  # the template's problem, naming the file and line
        return ChannelResult(url=redacted, ok=False, status="template", error=_short(str(exc), secrets))
    # An e-mail's text/plain alternative is the rendered text template, not apprise's reduction of the HTML.
    plain = plain_part(body, message.text) if body_format == NotifyFormat.HTML else contextlib.nullcontext()
    with (
        SCRUBBER.protecting(secrets),
        SCRUBBER.capturing() as captured,
        plain,
        message_id(mail_id),
    ):
        apobj = _MANAGERS.take()
        apobj.add(plugin)
        try:
            result = await apobj.async_notify(
                body=body, title=title, body_format=body_format, timeout=timeout
            )
        except Exception as exc:  # apprise reports failures in its result; this is a bug, kept per URL
            return ChannelResult(
                url=redacted,
                ok=False,
                status="failure",
                error=_short(f"{type(exc).__name__}: {exc}", secrets),
            )
        with result:
            service_results = list(result)
            status = service_results[0].status if service_results else result.status
            lines = [
                entry.message
                for service in service_results
                for entry in service.logs()
                if entry.level in ("WARNING", "ERROR", "CRITICAL")
            ]
            lines += [entry.message for entry in result.call_logs() if entry.level in ("WARNING", "ERROR")]
        seen = list(captured)  # a copy: a worker thread apprise abandoned may still be logging
    if status in _FINISHED:  # no worker thread of this send can still be running: the manager is free again
        _MANAGERS.give(apobj)
    if status == AppriseResultStatus.SUCCESS:
        return ChannelResult(url=redacted, ok=True, status="success", error=None)
    verdict = classify(status, seen + lines)
    error = lines[-1] if lines else _status_text(status)
    if verdict.ambiguous:
        error = f"{_AMBIGUOUS_NOTE}: {error}"
    return ChannelResult(
        url=redacted,
        ok=False,
        status=status.name.lower(),
        error=_short(error, secrets),
        retry_after=verdict.retry_after,
        ambiguous=verdict.ambiguous,
        rate_limited=verdict.rate_limited,
    )


class _Managers:
    """Idle ``Apprise`` objects for the next sends, each holding one plugin per send.

    Making an ``Apprise`` object looks up its translations on disk (a gettext search, several ``stat``
    calls), the largest part of its cost, and a send needs one for itself only while it runs: one emptied
    after a send that finished is as new. One that may still be in use (a timed-out send whose worker
    thread apprise left running, an exception) is never given back. ``take`` and ``give`` are single list
    operations, atomic across threads.
    """

    def __init__(self, keep: int = 64) -> None:
        self._idle: list[Apprise] = []
        self._keep = keep

    def take(self) -> Apprise:
        try:
            return self._idle.pop()
        except IndexError:
            return Apprise()

    def give(self, apobj: Apprise) -> None:
        apobj.clear()
        if len(self._idle) < self._keep:
            self._idle.append(apobj)


_MANAGERS: Final = _Managers()
# The results after which every worker thread of the send has returned (not TIMEOUT: apprise stops waiting,
# the thread may go on).
_FINISHED: Final = frozenset({AppriseResultStatus.SUCCESS, AppriseResultStatus.FAILURE})


def _status_text(status: AppriseResultStatus) -> str:
    if status == AppriseResultStatus.TIMEOUT:
        return "no answer before the timeout"
    return f"apprise reported {status.name.lower()}"


def _short(text: str, secrets: set[str]) -> str:
    text = " ".join(scrub(text, secrets).split())
    return text if len(text) <= _MAX_ERROR_LEN else text[: _MAX_ERROR_LEN - 1] + "…"


def use_telegram_api(base_url: str) -> None:
    """Send Telegram messages through a self-hosted Bot API server (``telegram-bot-api``) instead of
    api.telegram.org; apprise keeps the endpoint as a class attribute."""
    from apprise.plugins.telegram import NotifyTelegram

    NotifyTelegram.notify_url = base_url.rstrip("/") + "/bot"
