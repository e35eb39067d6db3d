"""What the bot does with one update: parse the command (hostile input), apply it, and say what to answer.

:func:`handle_update` runs inside the transaction that also queues its answers and advances the stored
offset (:mod:`drawwatch.bot.runner`), so a command's effect and its answer commit together or not at all. It
returns the Bot API calls to make (:class:`Call`) instead of making them. Every value is checked with the
project's validators before anything is written, so a bad command answers its usage and changes nothing.
A command acts on the chat it came from only: no command names another chat, so none can tell whether
another chat is known.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Final

from sqlmodel import Session

from drawwatch.app.derived import refresh_derived_categories
from drawwatch.app.rescore import profile_json
from drawwatch.bot.phrases import language_of, say
from drawwatch.domain.categories import category_short_label
from drawwatch.domain.clock import utcnow
from drawwatch.domain.crs import Profile, ProfileError, parse_profile, score_until
from drawwatch.domain.crs.profile import EDUCATION_LEVELS
from drawwatch.domain.eligibility import lookup_occupation
from drawwatch.domain.errors import InvalidInput
from drawwatch.domain.subscriber_input import (
    categories_problems,
    crs_problem,
    normal_categories,
    occupations_problems,
    quiet_problem,
)
from drawwatch.domain.vocabulary import MAX_CRS, SUBSCRIBABLE_KEYS
from drawwatch.storage.backtest import backtest
from drawwatch.storage.bot import ChatView, forget_chat, get_chat, save_chat
from drawwatch.storage.signup import explicit_categories, occupations_of
from drawwatch.storage.subscribers import (
    UNSET,
    SubscriberInput,
    SubscriberView,
    add_subscriber,
    clear_profile,
    edit_subscriber,
    get_subscriber,
    remove_subscriber,
    set_score,
)

MAX_TEXT: Final = 300  # characters of a command the bot reads; longer ones get a short answer
MAX_CALLBACK_DATA: Final = 64  # Telegram's own limit on callback_data (bytes)
MAX_MONTHS: Final = 720
MAX_OCCUPATIONS: Final = 5
_COMMAND: Final = re.compile(r"^/([A-Za-z_]{1,32})(?:@[A-Za-z0-9_]{1,64})?$")


@dataclass(frozen=True)
class Call:
    """One Bot API call to make after the update's transaction commits."""

    method: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class BotContext:
    """What handling needs besides the update: the bot (its token builds the chats' channel URLs)."""

    token: str
    today: dt.date | None = None

    @property
    def bot_id(self) -> str:
        return self.token.split(":", 1)[0]

    def channel_url(self, chat_id: int) -> str:
        return f"tgram://{self.token}/{chat_id}"


class RateLimiter:
    """At most ``limit`` updates per chat in ``window`` seconds (in memory: per process, for ``size`` chats).

    Over the limit the first update gets one "slow down" answer and the next ones none, until the window
    has room again."""

    def __init__(self, limit: int = 20, window: float = 60.0, size: int = 50_000) -> None:
        self.limit, self.window, self.size = limit, window, size
        self._seen: OrderedDict[int, deque[float]] = OrderedDict()
        self._warned: set[int] = set()

    def check(self, chat_id: int, now: float) -> str:
        """``ok``, ``warn`` (answer "slow down" once) or ``drop``."""
        times = self._seen.pop(chat_id, None) or deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        self._seen[chat_id] = times
        if len(self._seen) > self.size:
            old, _ = self._seen.popitem(last=False)
            self._warned.discard(old)
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(chat_id)
            return "ok"
        if chat_id in self._warned:
            return "drop"
        self._warned.add(chat_id)
        return "warn"


# --- parsing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """The parts of an update the bot reads; anything else in it is ignored."""

    update_id: int
    chat_id: int | None = None
    private: bool = True
    text: str | None = None
    language_code: str | None = None
    callback_id: str | None = None
    callback_data: str | None = None
    message_id: int | None = None  # the message a callback's button is on

    @property
    def is_callback(self) -> bool:
        return self.callback_id is not None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: object, limit: int = 10_000) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def parse_update(update: dict[str, Any]) -> Incoming | None:
    """The update as :class:`Incoming`; None when it has no update id (nothing can be acknowledged)."""
    update_id = _int(update.get("update_id"))
    if update_id is None:
        return None
    message = update.get("message")
    callback = update.get("callback_query")
    if isinstance(message, dict):
        chat = _dict(message.get("chat"))
        sender = _dict(message.get("from"))
        return Incoming(
            update_id,
            chat_id=_int(chat.get("id")),
            private=chat.get("type") == "private",
            text=_str(message.get("text")),
            language_code=_str(sender.get("language_code"), 16),
        )
    if isinstance(callback, dict):
        on = _dict(callback.get("message"))
        chat = _dict(on.get("chat"))
        sender = _dict(callback.get("from"))
        return Incoming(
            update_id,
            chat_id=_int(chat.get("id")),
            private=chat.get("type") == "private",
            language_code=_str(sender.get("language_code"), 16),
            callback_id=_str(callback.get("id"), 64),
            callback_data=_str(callback.get("data"), MAX_CALLBACK_DATA),
            message_id=_int(on.get("message_id")),
        )
    return Incoming(update_id)


def split_command(text: str) -> tuple[str, list[str]] | None:
    """``("/crs", ["480"])`` for "/crs 480" (also "/crs@drawwatch_bot 480"); None when it is no command."""
    words = text.split()
    if not words:
        return None
    match = _COMMAND.match(words[0])
    if match is None:
        return None
    return match.group(1).lower(), words[1:]


# --- answers ---------------------------------------------------------------------------------------------


def _message(chat_id: int, text: str, keyboard: list[list[dict[str, str]]] | None = None) -> Call:
    payload: dict[str, Any] = {"chat_id": chat_id, "text": text}
    if keyboard is not None:
        payload["reply_markup"] = {"inline_keyboard": keyboard}
    return Call("sendMessage", payload)


def _edit(
    chat_id: int, message_id: int, text: str, keyboard: list[list[dict[str, str]]] | None = None
) -> Call:
    payload: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id, "text": text}
    if keyboard is not None:
        payload["reply_markup"] = {"inline_keyboard": keyboard}
    return Call("editMessageText", payload)


def _answer_callback(callback_id: str, text: str | None = None) -> Call:
    payload: dict[str, Any] = {"callback_query_id": callback_id}
    if text:
        payload["text"] = text
    return Call("answerCallbackQuery", payload)


def _button(text: str, data: str) -> dict[str, str]:
    return {"text": text, "callback_data": data}


def _rows(buttons: list[dict[str, str]], per_row: int) -> list[list[dict[str, str]]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


# --- handling --------------------------------------------------------------------------------------------


def handle_update(
    session: Session, context: BotContext, update: dict[str, Any], *, limiter_verdict: str = "ok"
) -> list[Call]:
    """Apply one update and return the calls that answer it (none for updates the bot ignores)."""
    incoming = parse_update(update)
    if incoming is None or incoming.chat_id is None:
        return []
    chat_id = incoming.chat_id
    known = get_chat(session, context.bot_id, chat_id)
    language = known.language if known is not None else language_of(incoming.language_code)
    calls: list[Call] = []
    calls_for = _callback if incoming.is_callback and incoming.callback_id else _text
    if limiter_verdict == "drop":
        return [_answer_callback(incoming.callback_id)] if incoming.callback_id else []
    if limiter_verdict == "warn":
        if incoming.callback_id:
            return [_answer_callback(incoming.callback_id, say("slow_down", language))]
        return [_message(chat_id, say("slow_down", language))]
    if not incoming.private:
        if incoming.callback_id:
            return [_answer_callback(incoming.callback_id)]
        return [_message(chat_id, say("private_only", language))]
    calls.extend(calls_for(session, context, incoming, known, language))
    return calls


def _text(
    session: Session, context: BotContext, incoming: Incoming, chat: ChatView | None, language: str
) -> list[Call]:
    assert incoming.chat_id is not None
    chat_id = incoming.chat_id
    text = incoming.text
    if text is None:
        return [_message(chat_id, say("not_a_command", language))]
    if len(text) > MAX_TEXT:
        return [_message(chat_id, say("too_long", language))]
    parsed = split_command(text)
    if parsed is None:
        if text.startswith("/"):
            return [_message(chat_id, say("unknown_command", language))]
        if chat is not None and chat.step is not None:
            return _profile_answer(session, context, chat, text.strip(), None)
        return [_message(chat_id, say("not_a_command", language))]
    command, args = parsed
    if command == "start":
        return _start(session, context, incoming, chat, args)
    if command == "help":
        return [_message(chat_id, say("help", language))]
    handler = _COMMANDS.get(command)
    if handler is None:
        return [_message(chat_id, say("unknown_command", language))]
    if chat is None or chat.subscriber_id is None:
        if command in ("delete", "stop"):
            return [_message(chat_id, say("nothing_stored", language))]
        return [_message(chat_id, say("start_first", language))]
    view = get_subscriber(session, chat.subscriber_id)
    if view is None:  # purged by the operator meanwhile: the chat row went with it (CASCADE) or is stale
        return [_message(chat_id, say("start_first", language))]
    return handler(session, context, chat, view, args)


def _start(
    session: Session, context: BotContext, incoming: Incoming, chat: ChatView | None, args: list[str]
) -> list[Call]:
    assert incoming.chat_id is not None
    chat_id = incoming.chat_id
    if args and (len(args) > 1 or args[0].lower() not in ("en", "fr")):
        language = chat.language if chat else language_of(incoming.language_code)
        return [_message(chat_id, say("choose_language", language))]
    language = args[0].lower() if args else (chat.language if chat else language_of(incoming.language_code))
    view = get_subscriber(session, chat.subscriber_id) if chat and chat.subscriber_id else None
    if view is None:
        row = add_subscriber(
            session,
            SubscriberInput(
                name=f"Telegram chat {chat_id}",
                crs=0,
                categories=[],
                urls=[context.channel_url(chat_id)],
                active=False,
                language=language,
            ),
        )
        assert row.id is not None
        save_chat(session, context.bot_id, chat_id, language=language, subscriber_id=row.id, stopped=False)
        keyboard = [[_button("English", "lang:en"), _button("Français", "lang:fr")]]
        return [_message(chat_id, say("welcome", language), keyboard)]
    save_chat(session, context.bot_id, chat_id, language=language, stopped=False)
    if view.language != language:
        edit_subscriber(session, view.id, language=language)
    if view.crs > 0 and not view.active:
        edit_subscriber(session, view.id, active=True)
        return [_message(chat_id, say("welcome_back", language))]
    return [_message(chat_id, say("welcome" if view.crs == 0 else "language_set", language))]


def _crs(
    session: Session, context: BotContext, chat: ChatView, view: SubscriberView, args: list[str]
) -> list[Call]:
    language = chat.language
    usage = [_message(chat.chat_id, say("usage_crs", language, max_crs=MAX_CRS))]
    if len(args) != 1 or not args[0].isascii() or not args[0].isdigit() or len(args[0]) > 4:
        return usage
    crs = int(args[0])
    if crs_problem(crs) or crs == 0:
        return usage
    active = chat.stopped_at is None
    edit_subscriber(session, view.id, crs=crs, active=active)
    clear_profile(session, view.id)  # a typed score replaces a computed one
    return [_message(chat.chat_id, say("crs_saved" if active else "crs_saved_stopped", language, crs=crs))]


def _categories_text(categories: list[str], language: str) -> str:
    if not categories:
        return say("categories_none", language)
    return ", ".join(category_short_label(key, language) for key in categories)


def _category_keyboard(chosen: list[str], language: str) -> list[list[dict[str, str]]]:
    buttons = [
        _button(("✓ " if key in chosen else "") + category_short_label(key, language), f"cat:{key}")
        for key in SUBSCRIBABLE_KEYS
        if key != "general"
    ]
    return [*_rows(buttons, 3), [_button(say("done", language), "cat:done")]]


def _categories(
    session: Session, context: BotContext, chat: ChatView, view: SubscriberView, args: list[str]
) -> list[Call]:
    language = chat.language
    if not args:
        chosen = explicit_categories(session, view.id)
        return [
            _message(chat.chat_id, say("categories_pick", language), _category_keyboard(chosen, language))
        ]
    usage = [_message(chat.chat_id, say("usage_categories", language, known=", ".join(SUBSCRIBABLE_KEYS)))]
    if len(args) > len(SUBSCRIBABLE_KEYS):
        return usage
    words = [word.strip(",").lower() for word in args]
    if words == ["none"]:
        words = []
    if categories_problems(words):
        return usage
    chosen = normal_categories(words)
    edit_subscriber(session, view.id, categories=chosen)
    refresh_derived_categories(session, subscriber_ids=[view.id])
    return [
        _message(
            chat.chat_id, say("categories_saved", language, categories=_categories_text(chosen, language))
        )
    ]


def _parse_nocs(args: list[str]) -> list[tuple[str, int]] | None:
    if not args or len(args) % 2 or len(args) > 2 * MAX_OCCUPATIONS:
        return None
    pairs: list[tuple[str, int]] = []
    for code, months in zip(args[::2], args[1::2], strict=True):
        if not (months.isascii() and months.isdigit() and len(months) <= 4) or int(months) > MAX_MONTHS:
            return None
        pairs.append((code, int(months)))
    if occupations_problems(pairs):
        return None
    return pairs


def _noc(
    session: Session, context: BotContext, chat: ChatView, view: SubscriberView, args: list[str]
) -> list[Call]:
    language = chat.language
    if [arg.lower() for arg in args] == ["none"]:
        edit_subscriber(session, view.id, occupations=[])
        refresh_derived_categories(session, subscriber_ids=[view.id])
        return [_message(chat.chat_id, say("noc_cleared", language))]
    pairs = _parse_nocs(args)
    if pairs is None:
        return [_message(chat.chat_id, say("usage_noc", language))]
    for code, _ in pairs:
        try:
            known = lookup_occupation(code)
        except (InvalidInput, ValueError):
            known = None
        if known is None:
            return [_message(chat.chat_id, say("noc_unknown", language, code=code))]
    edit_subscriber(session, view.id, occupations=pairs)
    refresh_derived_categories(session, subscriber_ids=[view.id])
    after = get_subscriber(session, view.id)
    categories = after.categories if after is not None else []
    occupations = ", ".join(f"{code} ({months})" for code, months in pairs)
    return [
        _message(
            chat.chat_id,
            say(
                "noc_saved",
                language,
                occupations=occupations,
                categories=_categories_text(categories, language),
            ),
        )
    ]


def _quiet(
    session: Session, context: BotContext, chat: ChatView, view: SubscriberView, args: list[str]
) -> list[Call]:
    language = chat.language
    if [arg.lower() for arg in args] == ["off"]:
        edit_subscriber(session, view.id, quiet_hours=None, time_zone=None)
        return [_message(chat.chat_id, say("quiet_off", language))]
    if len(args) != 2 or len(args[1]) > 64 or quiet_problem(args[0], args[1]):
        return [_message(chat.chat_id, say("usage_quiet", language))]
    after = edit_subscriber(session, view.id, quiet_hours=args[0], time_zone=args[1])
    return [
        _message(chat.chat_id, say("quiet_saved", language, span=after.quiet_hours, zone=after.time_zone))
    ]


def _verdict_lines(session: Session, subscriber_id: int, last: int, language: str) -> list[str]:
    lines = []
    for verdict in backtest(session, subscriber_id, last=last):
        fields = {
            "number": verdict.number,
            "date": verdict.date.isoformat(),
            "category": category_short_label(verdict.category, language),
            "cutoff": verdict.crs,
        }
        if verdict.would_alert:
            lines.append(say("verdict_yes", language, margin=verdict.margin, **fields))
        elif not verdict.conditions["category"]:
            lines.append(say("verdict_no_category", language, **fields))
        else:
            lines.append(say("verdict_no_score", language, gap=max(0, -verdict.margin), **fields))
    return lines


def _status(
    session: Session, context: BotContext, chat: ChatView, view: SubscriberView, args: list[str]
) -> list[Call]:
    language = chat.language
    occupations = occupations_of(session, view.id)
    text = say(
        "status",
        language,
        state=say("state_on" if view.active else "state_paused", language),
        crs=view.crs if view.crs else say("none", language),
        categories=_categories_text(view.categories, language),
        occupations=", ".join(f"{code} ({months})" for code, months in occupations) or say("none", language),
        quiet=f"{view.quiet_hours} ({view.time_zone})" if view.quiet_hours else say("none", language),
    )
    lines = _verdict_lines(session, view.id, 3, language) if view.crs else []
    rounds = [say("latest_rounds", language), *lines] if lines else [say("no_rounds", language)]
    return [_message(chat.chat_id, "\n\n".join([text, "\n".join(rounds)]))]


def _backtest(
    session: Session, context: BotContext, chat: ChatView, view: SubscriberView, args: list[str]
) -> list[Call]:
    language = chat.language
    if not view.crs:
        return [_message(chat.chat_id, say("crs_first", language))]
    lines = _verdict_lines(session, view.id, 10, language)
    if not lines:
        return [_message(chat.chat_id, say("no_rounds", language))]
    return [_message(chat.chat_id, "\n".join([say("backtest_head", language, count=len(lines)), *lines]))]


def _stop(
    session: Session, context: BotContext, chat: ChatView, view: SubscriberView, args: list[str]
) -> list[Call]:
    language = chat.language
    if view.active:
        remove_subscriber(session, view.id)
    save_chat(session, context.bot_id, chat.chat_id, stopped=True, step=None)
    return [_message(chat.chat_id, say("stopped", language))]


def _delete(
    session: Session, context: BotContext, chat: ChatView, view: SubscriberView, args: list[str]
) -> list[Call]:
    language = chat.language
    keyboard = [
        [_button(say("delete_yes", language), "del:yes"), _button(say("delete_no", language), "del:no")]
    ]
    return [_message(chat.chat_id, say("delete_confirm", language), keyboard)]


# --- the /profile calculator -----------------------------------------------------------------------------

_LEVELS: Final = tuple(range(4, 11))
_YEARS: Final = tuple(range(6))
_PROFILE_STEPS: Final = ("age", "education", "language", "canadian", "foreign", "spouse")


def _profile_prompt(step: str, language: str) -> tuple[str, list[list[dict[str, str]]] | None]:
    if step == "age":
        return say("profile_age", language), None
    if step == "education":
        buttons = [
            _button(say(f"edu_{level}", language), f"pf:education:{level}") for level in EDUCATION_LEVELS
        ]
        return say("profile_education", language), _rows(buttons, 2)
    if step == "language":
        buttons = [_button(f"{level}" if level < 10 else "10+", f"pf:language:{level}") for level in _LEVELS]
        return say("profile_language", language), _rows(buttons, 4)
    if step in ("canadian", "foreign"):
        limit = 5 if step == "canadian" else 3
        buttons = [
            _button(f"{years}" if years < limit else f"{limit}+", f"pf:{step}:{years}")
            for years in _YEARS[: limit + 1]
        ]
        return say(f"profile_{step}", language), _rows(buttons, 6)
    buttons = [_button(say("yes", language), "pf:spouse:yes"), _button(say("no", language), "pf:spouse:no")]
    return say("profile_spouse", language), [buttons]


def _profile(
    session: Session, context: BotContext, chat: ChatView, view: SubscriberView, args: list[str]
) -> list[Call]:
    save_chat(session, context.bot_id, chat.chat_id, step=json.dumps({"step": "age"}))
    text, keyboard = _profile_prompt("age", chat.language)
    return [_message(chat.chat_id, text, keyboard)]


def _cancel(
    session: Session, context: BotContext, chat: ChatView, view: SubscriberView, args: list[str]
) -> list[Call]:
    if chat.step is not None:
        save_chat(session, context.bot_id, chat.chat_id, step=None)
    return [_message(chat.chat_id, say("profile_cancelled", chat.language))]


def _profile_state(chat: ChatView) -> dict[str, Any]:
    try:
        state = json.loads(chat.step or "{}")
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def _build_profile(answers: dict[str, Any]) -> Profile:
    level = int(answers["language"])
    return parse_profile(
        {
            "age": int(answers["age"]),
            "education": answers["education"],
            "first_language": {
                "test": "clb",
                "language": "en",
                "scores": {ability: level for ability in ("listening", "reading", "writing", "speaking")},
            },
            "canadian_work_years": int(answers["canadian"]),
            "foreign_work_years": int(answers["foreign"]),
        }
    )


def _profile_answer(
    session: Session, context: BotContext, chat: ChatView, value: str, message_id: int | None
) -> list[Call]:
    """One answer to the calculator's current step (typed, or a button ``value``)."""
    language = chat.language
    state = _profile_state(chat)
    step = state.get("step")
    if step not in _PROFILE_STEPS:
        save_chat(session, context.bot_id, chat.chat_id, step=None)
        return [_message(chat.chat_id, say("not_a_command", language))]
    answers = dict(state.get("answers") or {})
    if step == "age":
        if not (value.isascii() and value.isdigit() and len(value) <= 2 and 17 <= int(value) <= 99):
            return [_message(chat.chat_id, say("profile_bad_age", language))]
        answers["age"] = int(value)
    elif step == "education":
        if value not in EDUCATION_LEVELS:
            return [_message(chat.chat_id, say("stale_button", language))]
        answers["education"] = value
    elif step == "language":
        if not value.isdigit() or int(value) not in _LEVELS:
            return [_message(chat.chat_id, say("stale_button", language))]
        answers["language"] = int(value)
    elif step in ("canadian", "foreign"):
        if not value.isdigit() or int(value) not in _YEARS:
            return [_message(chat.chat_id, say("stale_button", language))]
        answers[step] = int(value)
    else:
        if value not in ("yes", "no"):
            return [_message(chat.chat_id, say("stale_button", language))]
        return _profile_finish(session, context, chat, answers, note=value == "yes", message_id=message_id)
    following = _PROFILE_STEPS[_PROFILE_STEPS.index(step) + 1]
    save_chat(session, context.bot_id, chat.chat_id, step=json.dumps({"step": following, "answers": answers}))
    text, keyboard = _profile_prompt(following, language)
    if message_id is not None:
        return [_edit(chat.chat_id, message_id, text, keyboard)]
    return [_message(chat.chat_id, text, keyboard)]


def _profile_finish(
    session: Session,
    context: BotContext,
    chat: ChatView,
    answers: dict[str, Any],
    *,
    note: bool,
    message_id: int | None,
) -> list[Call]:
    language = chat.language
    save_chat(session, context.bot_id, chat.chat_id, step=None)
    if chat.subscriber_id is None:
        return [_message(chat.chat_id, say("start_first", language))]
    try:
        profile = _build_profile(answers)
        today = context.today or utcnow().date()
        result, until = score_until(profile, today)
    except (ProfileError, InvalidInput, KeyError, ValueError, TypeError):
        return [_message(chat.chat_id, say("profile_cancelled", language))]
    set_score(
        session,
        chat.subscriber_id,
        crs=result.total,
        on=today,
        until=until,
        rules=result.rules.id,
        profile=profile_json(profile),
    )
    if chat.stopped_at is None:
        edit_subscriber(session, chat.subscriber_id, active=True, submitted_at=UNSET)
    text = say(
        "profile_done", language, crs=result.total, note=say("profile_spouse_note", language) if note else ""
    )
    if message_id is not None:
        return [_edit(chat.chat_id, message_id, text.strip())]
    return [_message(chat.chat_id, text.strip())]


# --- buttons ---------------------------------------------------------------------------------------------


def _callback(
    session: Session, context: BotContext, incoming: Incoming, chat: ChatView | None, language: str
) -> list[Call]:
    assert incoming.chat_id is not None and incoming.callback_id is not None
    chat_id, data, message_id = incoming.chat_id, incoming.callback_data or "", incoming.message_id
    stale = [_answer_callback(incoming.callback_id, say("stale_button", language))]
    if chat is None or message_id is None:
        return stale
    kind, _, value = data.partition(":")
    if kind == "lang" and value in ("en", "fr"):
        save_chat(session, context.bot_id, chat_id, language=value)
        if chat.subscriber_id is not None and get_subscriber(session, chat.subscriber_id) is not None:
            edit_subscriber(session, chat.subscriber_id, language=value)
        return [
            _answer_callback(incoming.callback_id),
            _edit(chat_id, message_id, say("welcome", value)),
        ]
    view = get_subscriber(session, chat.subscriber_id) if chat.subscriber_id is not None else None
    if view is None:
        return stale
    if kind == "cat" and (value in SUBSCRIBABLE_KEYS or value == "done"):
        chosen = explicit_categories(session, view.id)
        if value == "done":
            text = say("categories_saved", chat.language, categories=_categories_text(chosen, chat.language))
            return [_answer_callback(incoming.callback_id), _edit(chat_id, message_id, text)]
        chosen = [key for key in chosen if key != value] if value in chosen else [*chosen, value]
        edit_subscriber(session, view.id, categories=chosen)
        refresh_derived_categories(session, subscriber_ids=[view.id])
        keyboard = _category_keyboard(chosen, chat.language)
        return [
            _answer_callback(incoming.callback_id),
            _edit(chat_id, message_id, say("categories_pick", chat.language), keyboard),
        ]
    if kind == "del" and value in ("yes", "no"):
        if value == "no":
            return [
                _answer_callback(incoming.callback_id),
                _edit(chat_id, message_id, say("delete_kept", chat.language)),
            ]
        forget_chat(session, context.bot_id, chat_id)
        return [
            _answer_callback(incoming.callback_id),
            _edit(chat_id, message_id, say("deleted", chat.language)),
        ]
    if kind == "pf" and chat.step is not None:
        step, _, answer = value.partition(":")
        if step != _profile_state(chat).get("step"):
            return stale
        return [
            _answer_callback(incoming.callback_id),
            *_profile_answer(session, context, chat, answer, message_id),
        ]
    return stale


_COMMANDS: Final = {
    "crs": _crs,
    "profile": _profile,
    "categories": _categories,
    "noc": _noc,
    "quiet": _quiet,
    "status": _status,
    "backtest": _backtest,
    "stop": _stop,
    "delete": _delete,
    "cancel": _cancel,
}

__all__ = [
    "MAX_TEXT",
    "BotContext",
    "Call",
    "Incoming",
    "RateLimiter",
    "handle_update",
    "parse_update",
    "split_command",
]
