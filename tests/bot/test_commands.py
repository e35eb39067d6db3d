"""The bot's commands, handled in-process (no HTTP): answers in the chat's language, stored settings, and
bad commands that answer their usage and change nothing stored."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from drawwatch.bot.commands import RateLimiter
from drawwatch.storage.bot import get_chat
from drawwatch.storage.db import session_scope
from drawwatch.storage.signup import occupations_of
from drawwatch.storage.subscribers import get_subscriber
from tests.bot.conftest import OfflineBot, stored_state
from tests.support.rows import new_round
from tests.support.telegram import TELEGRAM_TOKEN

CHAT = 4242
BOT_ID = TELEGRAM_TOKEN.split(":")[0]


def subscriber_of(engine: Engine, chat_id: int = CHAT):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        chat = get_chat(session, BOT_ID, chat_id)
        assert chat is not None and chat.subscriber_id is not None
        return get_subscriber(session, chat.subscriber_id)


def test_start_crs_categories_store_a_telegram_subscriber(offline: OfflineBot) -> None:
    welcome = offline.send(CHAT, "/start")
    assert len(welcome) == 1 and "Privacy" in welcome[0]["text"]
    assert welcome[0]["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "lang:fr"
    view = subscriber_of(offline.engine)
    assert view is not None and not view.active and view.crs == 0  # nothing to alert for yet

    assert "Saved: CRS 470" in offline.text(CHAT, "/crs 470")
    assert "STEM" in offline.text(CHAT, "/categories stem")

    view = subscriber_of(offline.engine)
    assert view is not None
    assert (view.crs, view.active, view.categories, view.language) == (470, True, ["stem"], "en")
    assert [channel.url for channel in view.channels] == [f"tgram://{TELEGRAM_TOKEN}/{CHAT}"]


def test_french_chat_gets_french_answers(offline: OfflineBot) -> None:
    assert "Confidentialité" in offline.send(CHAT, "/start", language_code="fr-CA")[0]["text"]
    assert offline.text(CHAT, "/crs abc").startswith("Utilisation : /crs 480")
    assert "SCG 455" in offline.text(CHAT, "/crs 455")
    assert offline.text(CHAT, "/start en")  # switches to English
    assert offline.text(CHAT, "/crs abc").startswith("Usage: /crs 480")
    view = subscriber_of(offline.engine)
    assert view is not None and view.language == "en"


BAD = [
    ("/crs abc", "Usage: /crs 480"),
    ("/crs", "Usage: /crs 480"),
    ("/crs 2000", "Usage: /crs 480"),
    ("/crs -5", "Usage: /crs 480"),
    ("/crs 0", "Usage: /crs 480"),
    ("/crs 480 490", "Usage: /crs 480"),
    ("/crs ４８０", "Usage: /crs 480"),  # full-width digits: str.isdigit() says yes, int() too
    ("/noc 99999 14", "99999 is on no category list"),
    ("/noc 21231", "Usage: /noc 21231 14"),
    ("/noc abcde 14", "Usage: /noc 21231 14"),
    ("/noc 21231 -1", "Usage: /noc 21231 14"),
    ("/noc 21231 99999", "Usage: /noc 21231 14"),
    ("/quiet 25:00-07:00 America/Toronto", "Usage: /quiet 22:00-07:00"),
    ("/quiet 22:00-07:00 Mars/Olympus", "Usage: /quiet 22:00-07:00"),
    ("/quiet 22:00-07:00", "Usage: /quiet 22:00-07:00"),
    ("/categories bogus", "Usage: /categories stem cec"),
    ("/categories stem bogus", "Usage: /categories stem cec"),
    ("/frobnicate", "I don't know that command"),
    ("/crs@other_bot_name_is_far_too_long_for_telegram_usernames_to_be_accepted_here 480", "I don't know"),
    ("x" * 5000, "That message is too long"),
    ("/crs " + "9" * 4990, "That message is too long"),
    ("hello", "Send a command"),
    ("/start xx", "Language: English or French"),
]


@pytest.mark.parametrize(("text", "answer"), BAD, ids=[text[:30] for text, _ in BAD])
def test_bad_commands_answer_their_usage_and_change_nothing(
    offline: OfflineBot, text: str, answer: str
) -> None:
    offline.send(CHAT, "/start")
    offline.send(CHAT, "/crs 480")
    offline.send(CHAT, "/categories cec")
    before = stored_state(offline.engine)
    reply = offline.text(CHAT, text)
    assert reply.startswith(answer) or answer in reply, reply
    assert len(reply) < 400  # a short answer, whatever came in
    assert stored_state(offline.engine) == before


@pytest.mark.parametrize(
    "text", ["/crs 480", "/categories stem", "/noc 21231 14", "/status", "/stop", "/delete"]
)
def test_an_unknown_chat_is_told_to_start_and_nothing_is_stored(offline: OfflineBot, text: str) -> None:
    before = stored_state(offline.engine)
    reply = offline.text(CHAT, text)
    assert "/start" in reply or "Nothing is stored" in reply
    assert stored_state(offline.engine) == before


def test_group_chats_are_refused(offline: OfflineBot) -> None:
    before = stored_state(offline.engine)
    assert offline.text(-100123, "/start", chat_type="group") == "I only work in a private chat with you."
    assert stored_state(offline.engine) == before


def test_noc_quiet_status_stop_start(offline: OfflineBot) -> None:
    offline.send(CHAT, "/start")
    offline.send(CHAT, "/crs 480")
    reply = offline.text(CHAT, "/noc 31102 14")
    assert "31102 (14)" in reply and "Healthcare" in reply
    with session_scope(offline.engine) as session:
        view = subscriber_of(offline.engine)
        assert view is not None
        assert occupations_of(session, view.id) == [("31102", 14)]
        assert "healthcare" in view.categories  # derived from the occupation
    assert "22:00-07:00" in offline.text(CHAT, "/quiet 22:00-7:00 America/Toronto")
    status = offline.text(CHAT, "/status")
    assert "CRS: 480" in status and "22:00-07:00 (America/Toronto)" in status and "Alerts: on" in status
    assert "No round stored yet" in status

    assert offline.text(CHAT, "/stop").startswith("Alerts paused")
    view = subscriber_of(offline.engine)
    assert view is not None and not view.active
    assert "paused" in offline.text(CHAT, "/crs 490")  # settings change, alerts stay off
    view = subscriber_of(offline.engine)
    assert view is not None and (view.crs, view.active) == (490, False)
    assert offline.text(CHAT, "/start").startswith("Welcome back")
    view = subscriber_of(offline.engine)
    assert view is not None and view.active
    assert offline.text(CHAT, "/quiet off") == "Quiet hours off."
    assert offline.text(CHAT, "/noc none") == "Occupations removed."


def test_category_buttons_toggle_and_edit_the_message(offline: OfflineBot) -> None:
    offline.send(CHAT, "/start")
    offline.send(CHAT, "/crs 480")
    keyboard = offline.send(CHAT, "/categories")[0]["reply_markup"]["inline_keyboard"]
    assert any(button["callback_data"] == "cat:stem" for row in keyboard for button in row)
    answer, edit = offline.press(CHAT, "cat:stem")
    assert answer["method"] == "answerCallbackQuery" and answer["callback_query_id"]
    assert edit["method"] == "editMessageText" and edit["message_id"] == 7
    assert any(
        button["text"] == "✓ STEM" for row in edit["reply_markup"]["inline_keyboard"] for button in row
    )
    offline.press(CHAT, "cat:cec")
    offline.press(CHAT, "cat:stem")  # off again
    _, done = offline.press(CHAT, "cat:done")
    assert done["text"] == "Saved categories: CEC."
    view = subscriber_of(offline.engine)
    assert view is not None and view.categories == ["cec"]
    before = stored_state(offline.engine)
    stale = offline.press(CHAT, "cat:nonsense")
    assert [reply["method"] for reply in stale] == ["answerCallbackQuery"]
    assert stored_state(offline.engine) == before


def test_language_button(offline: OfflineBot) -> None:
    offline.send(CHAT, "/start")
    _, edit = offline.press(CHAT, "lang:fr")
    assert "Bonjour" in edit["text"]
    assert "Utilisation" in offline.text(CHAT, "/crs abc")


def test_delete_asks_then_erases_everything(offline: OfflineBot) -> None:
    offline.send(CHAT, "/start")
    offline.send(CHAT, "/crs 480")
    offline.send(CHAT, "/noc 21231 14")
    ask = offline.send(CHAT, "/delete")[0]
    assert [b["callback_data"] for b in ask["reply_markup"]["inline_keyboard"][0]] == ["del:yes", "del:no"]
    _, kept = offline.press(CHAT, "del:no")
    assert kept["text"] == "Nothing was erased."
    _, erased = offline.press(CHAT, "del:yes")
    assert erased["text"].startswith("Everything about this chat is erased")
    empty = stored_state(offline.engine)
    assert all(rows == [] for rows in empty), empty
    assert "/start" in offline.text(CHAT, "/status")


def test_profile_calculator_step_by_step(offline: OfflineBot) -> None:
    offline.send(CHAT, "/start")
    assert "how old" in offline.text(CHAT, "/profile")
    assert "17 to 99" in offline.text(CHAT, "12")
    education = offline.send(CHAT, "29")[0]
    assert any(
        b["callback_data"] == "pf:education:masters"
        for row in education["reply_markup"]["inline_keyboard"]
        for b in row
    )
    stale = offline.press(CHAT, "pf:language:9")  # not the current step
    assert [reply["method"] for reply in stale] == ["answerCallbackQuery"]
    for data in ("pf:education:masters", "pf:language:9", "pf:canadian:1", "pf:foreign:3"):
        _, edit = offline.press(CHAT, data)
        assert edit["method"] == "editMessageText"
    _, done = offline.press(CHAT, "pf:spouse:no")
    assert done["text"].startswith("Your CRS score today: ")
    view = subscriber_of(offline.engine)
    assert view is not None and 300 < view.crs < 700 and view.active
    assert f"Your CRS score today: {view.crs}" in done["text"]


def test_rate_limit_per_chat(offline: OfflineBot) -> None:
    offline.bot.limiter = RateLimiter(limit=3, window=60)
    offline.send(CHAT, "/start")
    offline.send(CHAT, "/help")
    offline.send(CHAT, "/help")
    assert offline.text(CHAT, "/help").startswith("Too many messages")
    assert offline.send(CHAT, "/crs 480") == []  # dropped: no answer, nothing stored
    view = subscriber_of(offline.engine)
    assert view is not None and view.crs == 0
    assert offline.text(CHAT + 1, "/help").startswith("Commands")  # other chats are not held back


def test_an_update_is_handled_once(offline: OfflineBot) -> None:
    update = offline.updates.text(CHAT, "/start")
    assert offline.bot.handle_now(update)
    assert not offline.bot.handle_now(update)  # the offset is past it: nothing done, nothing queued
    older = dict(update, update_id=update["update_id"] - 1)
    assert not offline.bot.handle_now(older)


def test_status_and_backtest_judge_the_latest_rounds(offline: OfflineBot) -> None:
    offline.send(CHAT, "/start")
    assert offline.text(CHAT, "/backtest") == "Give your score first: /crs 480."
    offline.send(CHAT, "/crs 480")
    offline.send(CHAT, "/categories stem")
    with session_scope(offline.engine) as session:
        new_round(session, "501", crs=468, category="stem", date=date(2026, 3, 4))
        new_round(session, "502", crs=495, category="stem", date=date(2026, 3, 18))
        new_round(session, "503", crs=430, category="cec", date=date(2026, 4, 1))
    status = offline.text(CHAT, "/status")
    assert "#503 2026-04-01 CEC cut-off 430: no, not your category" in status
    assert "#502 2026-03-18 STEM cut-off 495: no, 15 below" in status
    assert "#501 2026-03-04 STEM cut-off 468: yes (+12)" in status
    assert offline.text(CHAT, "/backtest").startswith("The last 3 rounds with your settings:")
    offline.send(CHAT, "/start fr")
    assert "no 501 2026-03-04 STIM note limite 468 : oui (+12)" in offline.text(CHAT, "/backtest")
