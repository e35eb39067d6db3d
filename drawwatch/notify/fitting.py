"""Fitting a rendered message into a service's length limits without cutting a word or losing the link.

Every service has a length limit (apprise's ``body_maxlen``, ``title_maxlen``; Telegram 4,096 and no title
field, SMS 160), and a message apprise has to truncate loses its end, which is where the link to the round
is. So :func:`fit_message` picks the full body when it fits, else the message's short form, else the short
form cut at a word boundary with "…" and the link kept at the end; lengths are counted in UTF-16 code units
as Telegram counts them (:func:`text_length`), and on a service without a title field, where apprise folds the
title into the body, the title is counted in the body or dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from apprise import NotifyFormat
from apprise.plugins.base import NotifyBase

from drawwatch.notify.message import RenderedMessage
from drawwatch.notify.urls import DEFAULT_BODY_FORMAT, body_format_for, prefers_short

_ELLIPSIS: Final = "…"
# What apprise adds when it folds the title into the body of a service without a title field: at most
# "<b>" + "</b><br />\r\n" around the title for HTML, "\r\n" after it for text.
_TITLE_FOLD: Final = 15
_URL_RE: Final = re.compile(r"https?://\S+")
_TRAILING_PUNCTUATION: Final = " \t\r\n.,;:—–-(["


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """A service's message limits, as apprise's plugin declares them."""

    body_maxlen: int  # 0 (or less): no limit
    title_maxlen: int  # 0: no title field, apprise folds the title into the body
    body_format: NotifyFormat = DEFAULT_BODY_FORMAT  # the format the full message goes out in
    prefer_short: bool = False  # a chat service: the short form even when the full body fits

    @classmethod
    def of(cls, plugin: NotifyBase, url: str) -> ChannelLimits:
        """The limits ``plugin`` declares, and the format :func:`body_format_for` gives ``url``."""
        return cls(
            body_maxlen=int(plugin.body_maxlen or 0),
            title_maxlen=int(plugin.title_maxlen or 0),
            body_format=body_format_for(url),
            prefer_short=prefers_short(url),
        )

    def room(self, title: str) -> int | None:
        """Length left for the body next to ``title``; None without a limit."""
        if self.body_maxlen <= 0:
            return None
        if self.title_maxlen <= 0 and title.strip():
            return self.body_maxlen - text_length(title.strip()) - _TITLE_FOLD
        return self.body_maxlen

    def fits(self, title: str, body: str) -> bool:
        room = self.room(title)
        return room is None or text_length(body.rstrip()) <= room


def text_length(text: str) -> int:
    """Length as services count it, conservatively: UTF-16 code units (Telegram's count; an emoji is 2).

    An HTML body is measured as written, tags and entities included: what Telegram counts after reducing
    it to its few tags and parsing the entities is never longer.
    """
    return len(text.encode("utf-16-le")) // 2


def fit_message(limits: ChannelLimits, message: RenderedMessage) -> tuple[str, str, NotifyFormat]:
    """Title, body and body format of ``message`` for a service with these limits.

    1. The full body (HTML or text, as the service takes it) when it fits next to the title (counted in the
       body on a service without a title field).
    2. Else the short form (``message.short``, plain text; the plain text when the message has none), next
       to the title if both fit, else alone on a service without a title field (the short form repeats
       what the subject says).
    3. Else that text cut at a word boundary with "…", keeping its last link at the end when there is room.
    A chat service (``limits.prefer_short``, Telegram) gets the short form whenever the message has one, cut
    as in 3 if it must be, without the title when it has no title field.
    A title longer than the service's ``title_maxlen`` is cut at a word boundary too. Nothing is ever cut
    inside a word.
    """
    title = message.subject.strip()
    if limits.title_maxlen > 0:
        title = cut_words(title, limits.title_maxlen)
    if limits.prefer_short and message.short is not None:
        if limits.title_maxlen <= 0:
            title = ""  # the short form opens with what the subject says
        short = message.short.strip()
        room = limits.room(title)
        fitted = short if room is None else cut_keeping_link(short, room)
        return title, keep_blank_lines(fitted), NotifyFormat.TEXT
    full = message.html if limits.body_format == NotifyFormat.HTML else message.text
    if limits.fits(title, full):
        return title, full, limits.body_format
    short = (message.short if message.short is not None else message.text).strip()
    if limits.fits(title, short):
        return title, short, NotifyFormat.TEXT
    if limits.title_maxlen <= 0:
        title = ""
    room = limits.room(title)
    return title, short if room is None else cut_keeping_link(short, room), NotifyFormat.TEXT


# apprise's Telegram plugin turns a text body into HTML and then folds every run of line breaks into one, so
# a blank line between two lines of the short form would vanish; a zero-width space on it survives the fold
# and shows as the blank line it is.
_BLANK_LINE_KEEPER: Final = "\u200b"


def keep_blank_lines(text: str) -> str:
    """``text`` with each blank line holding a zero-width space, for services that fold empty lines away."""
    return re.sub(r"\n[ \t]*\n", f"\n{_BLANK_LINE_KEEPER}\n", text)


def cut_words(text: str, limit: int) -> str:
    """``text`` when it fits ``limit`` (:func:`text_length`), else its longest prefix that ends between two
    words and leaves room for "…", with "…" appended; just "…" when not even the first word fits."""
    text = text.rstrip()
    if text_length(text) <= limit:
        return text
    if limit < 1:
        return ""
    end, used = 0, 0
    for char in text:  # the longest prefix within limit - 1 units
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > limit - 1:
            break
        used += size
        end += 1
    if not text[end].isspace():  # the cut falls inside a word: go back to the space before it
        while end > 0 and not text[end - 1].isspace():
            end -= 1
    return text[:end].rstrip(_TRAILING_PUNCTUATION) + _ELLIPSIS


def cut_keeping_link(text: str, limit: int) -> str:
    """:func:`cut_words`, but the last link of ``text`` stays whole at the end when there is room for it
    and at least one word before it."""
    text = text.strip()
    if text_length(text) <= limit:
        return text
    links = list(_URL_RE.finditer(text))
    if links:
        link = links[-1]
        head = (text[: link.start()].rstrip() + " " + text[link.end() :].lstrip()).strip()
        room = limit - text_length(link[0]) - 1
        cut = cut_words(head, room) if room > 0 else ""
        if cut.rstrip(_ELLIPSIS):
            return f"{cut} {link[0]}"
    return cut_words(text, limit)
