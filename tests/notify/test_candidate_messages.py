"""What a candidate reads: the verdict-first subject, the e-mail's two parts, the short chat form, the
Canadian-experience note, the tie-break "at" wording and the application deadline, in every message form."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from drawwatch.domain.categories import CANADIAN_EXPERIENCE_CATEGORIES, CATEGORY_LABELS, CATEGORY_SHORT_LABELS
from drawwatch.domain.corrections import StoredChange
from drawwatch.domain.vocabulary import CATEGORY_KEYS, STANDINGS, TIE_VALUES
from drawwatch.notify.correction import CorrectionContext, change_line, render_correction
from drawwatch.notify.message import APPLICATION_DAYS, AlertContext, RenderedMessage
from drawwatch.notify.render import Renderer
from drawwatch.notify.sending import send_sync
from drawwatch.notify.urls import prefers_short
from tests.support.messages import URL_437, make_ctx, make_round
from tests.support.smtp import SmtpServer
from tests.support.telegram import FakeTelegram, telegram_length, telegram_text
from tests.support.times import AFTER, BEFORE, TIE_BREAK

MAX_SUBJECT = 70
MAX_SHORT = 450  # round #437's canada.ca link alone is 188 characters
APPLY_BY = "October 18, 2026"  # round #437 (August 19, 2026) + 60 days
CE_SENTENCE = "Canadian work experience"
HINT = "To stop these alerts: https://drawwatch.example.org/unsubscribe/3f9a1c"
DATA = Path(__file__).parents[2] / "drawwatch/data/eligibility"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def ctx_for(standing: str, category: str = "french", number: str = "437", **changes: object) -> AlertContext:
    """An alert at each tie value: 18 points above the cut-off for "clear", exactly at it otherwise."""
    round_ = make_round(number=number, category=category, category_label=CATEGORY_LABELS[category])
    crs = 400 if standing == "clear" else round_.crs
    ctx = make_ctx(crs, standing, round_, unsubscribe_hint=changes.pop("unsubscribe_hint", HINT))
    return replace(ctx, **changes)  # type: ignore[arg-type]


def correction_for(standing: str, category: str = "french", **changes: object) -> CorrectionContext:
    crs = {"clear": 400, "below": 370}.get(standing, 382)
    changes.setdefault("unsubscribe_hint", HINT)
    return CorrectionContext(
        round=make_round(category=category, category_label=CATEGORY_LABELS[category]),
        changes=(change_line(StoredChange("crs", 380, 382)),),
        subscriber_name="Ana",
        subscriber_crs=crs,
        standing=standing,  # type: ignore[arg-type]
        **changes,  # type: ignore[arg-type]
    )


def forms(message: RenderedMessage) -> dict[str, str]:
    assert message.short is not None
    return {"text": message.text, "html": message.html, "short": message.short}


# ------------------------------------------------------------------------------------------------ subject


@pytest.mark.parametrize("category", CATEGORY_KEYS)
@pytest.mark.parametrize("tie", TIE_VALUES)
@pytest.mark.parametrize("number", ["437", "91a", "999"])
def test_alert_subject_is_verdict_first_and_short(
    renderer: Renderer, category: str, tie: str, number: str
) -> None:
    subject = renderer.render_alert(ctx_for(tie, category, number)).subject
    assert len(subject) <= MAX_SUBJECT, subject
    verdict = {"clear": "You qualify:", "tie_invited": "Tie-break favours you:"}.get(
        tie, "Tie-break decides:"
    )
    assert subject.startswith(f"{verdict} round #{number} {CATEGORY_SHORT_LABELS[category]},")


def test_alert_subject_sample(renderer: Renderer) -> None:
    assert (
        renderer.render_alert(ctx_for("clear")).subject
        == "You qualify: round #437 French, cut-off 382 (you 400)"
    )
    assert (
        renderer.render_alert(ctx_for("tie_unknown")).subject
        == "Tie-break decides: round #437 French, you tie cut-off 382"
    )


@pytest.mark.parametrize("category", CATEGORY_KEYS)
@pytest.mark.parametrize("standing", STANDINGS)
def test_correction_subject_is_verdict_first_and_short(
    renderer: Renderer, category: str, standing: str
) -> None:
    subject = render_correction(renderer, correction_for(standing, category)).subject
    assert len(subject) <= MAX_SUBJECT, subject
    assert "round #437 corrected" in subject


def test_every_category_has_a_short_label() -> None:
    assert set(CATEGORY_SHORT_LABELS) == set(CATEGORY_KEYS)


# ------------------------------------------------------------------------------------------------- e-mail


def test_email_parts_are_the_text_and_html_templates(smtp: SmtpServer, renderer: Renderer) -> None:
    message = renderer.render_alert(ctx_for("clear", "physicians"))
    [result] = send_sync([smtp.url(to="ana@example.org")], message, timeout=10)
    assert result.ok, result.error
    [mail] = smtp.wait_for(1)
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == message.subject
    plain = mail.get_body(("plain",))
    rich = mail.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content().replace("\r\n", "\n") == message.text  # type: ignore[attr-defined]
    # apprise strips the body it is given, so the HTML part lacks the template's final newline
    assert rich.get_content().replace("\r\n", "\n").rstrip("\n") == message.html.rstrip("\n")  # type: ignore[attr-defined]


def test_email_text_part_only_replaces_its_own_html(smtp: SmtpServer, renderer: Renderer) -> None:
    """Another HTML body (an operator's message without the matching text) still gets apprise's conversion."""
    message = RenderedMessage(subject="Hello", text="never shown", html="<p>Hello <b>there</b></p>\n")
    from apprise import Apprise, NotifyFormat

    apobj = Apprise()
    apobj.add(smtp.url())
    assert apobj.notify(body=message.html, title=message.subject, body_format=NotifyFormat.HTML)
    [mail] = smtp.wait_for(1)
    plain = mail.get_body(("plain",))
    assert plain is not None and "never shown" not in plain.get_content()  # type: ignore[attr-defined]
    assert "Hello" in plain.get_content()  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------ short / Telegram


def test_telegram_gets_the_short_form(telegram: FakeTelegram, renderer: Renderer) -> None:
    message = renderer.render_alert(ctx_for("clear"))
    assert prefers_short(telegram.url())
    [result] = send_sync([telegram.url()], message, timeout=10)
    assert result.ok, result.error
    [call] = telegram.wait_for(1)
    shown = telegram_text(call.payload["text"], call.payload.get("parse_mode"))
    assert shown.count(URL_437) == 1
    assert shown.count("https://") == 2  # the round's page and the unsubscribe page, nothing else
    lines = [line.strip("\u200b ") for line in shown.splitlines()]
    assert lines == [
        "You qualify: round #437 French, cut-off 382 (you 400).",
        "",
        "If invited, submit your application by October 18, 2026.",
        "",
        URL_437,
        "",
        HINT,
    ]
    assert telegram_length(call.payload["text"], call.payload.get("parse_mode")) <= 400


@pytest.mark.parametrize("category", CATEGORY_KEYS)
@pytest.mark.parametrize("tie", TIE_VALUES)
def test_short_form_length_and_one_link(renderer: Renderer, category: str, tie: str) -> None:
    short = renderer.render_alert(ctx_for(tie, category, unsubscribe_hint=None)).short
    assert short is not None
    assert len(short) <= MAX_SHORT
    assert short.count("https://") == 1 and short.count(URL_437) == 1
    assert "\n\n\n" not in short


# -------------------------------------------------------------------------------------- Canadian experience


def test_canadian_experience_set_follows_the_eligibility_data() -> None:
    flagged = set()
    for path in DATA.glob("*.toml"):
        for key, table in tomllib.loads(path.read_text()).get("categories", {}).items():
            if table.get("rule", {}).get("canadian_experience"):
                flagged.add(key)
    assert flagged, "no canadian_experience flag found in the eligibility data"
    assert flagged <= CANADIAN_EXPERIENCE_CATEGORIES
    assert CANADIAN_EXPERIENCE_CATEGORIES - flagged == {"cec"}  # the program itself requires it
    assert set(CATEGORY_KEYS) >= CANADIAN_EXPERIENCE_CATEGORIES


@pytest.mark.parametrize("category", CATEGORY_KEYS)
def test_canadian_experience_is_said_in_every_form(renderer: Renderer, category: str) -> None:
    required = category in CANADIAN_EXPERIENCE_CATEGORIES
    alert = forms(renderer.render_alert(ctx_for("clear", category)))
    correction = forms(render_correction(renderer, correction_for("clear", category)))
    for name, body in {**alert, **{f"correction {k}": v for k, v in correction.items()}}.items():
        said = "only for candidates with" in body.replace("<b>", "").replace("</b>", "").lower() and (
            CE_SENTENCE in body.replace("<b>", "").replace("</b>", "")
        )
        assert said == required, f"{category} {name}"


# ---------------------------------------------------------------------------------------------- tie "at"


@pytest.mark.parametrize(
    ("submitted", "word"),
    [(TIE_BREAK, "at"), (BEFORE, "before"), (TIE_BREAK.replace(tzinfo=None), "at")],
    ids=["at-the-instant", "before", "naive-utc-from-sqlite"],
)
def test_tie_invited_says_at_or_before(renderer: Renderer, submitted: object, word: str) -> None:
    message = forms(renderer.render_alert(ctx_for("tie_invited", submitted_at=submitted)))
    assert f"submission time {'at that exact time' if word == 'at' else 'before that'}" in message["text"]
    assert f"submission time {'at that exact time' if word == 'at' else 'before that'}" in message["html"]
    assert f"You submitted {word} the tie-break time" in message["short"]
    rule = "only profiles submitted at or before" if word == "at" else "only profiles submitted before"
    assert rule in message["text"] and rule in " ".join(message["html"].replace("<b>", "").split())
    notice = forms(render_correction(renderer, correction_for("tie_invited", submitted_at=submitted)))
    assert f"submission time {'at that exact time' if word == 'at' else 'before that'}" in notice["text"]
    assert f"submitted {word} the tie-break" in notice["short"]


def test_after_the_instant_is_not_at(renderer: Renderer) -> None:
    assert "at that exact time" not in renderer.render_alert(ctx_for("tie_unknown", submitted_at=AFTER)).text


# --------------------------------------------------------------------------------------------- next step


def test_application_deadline_constant() -> None:
    assert APPLICATION_DAYS == 60
    assert make_round().apply_by == date(2026, 8, 19) + timedelta(days=60) == date(2026, 10, 18)


@pytest.mark.parametrize("tie", TIE_VALUES)
def test_every_alert_form_says_what_to_do_and_by_when(renderer: Renderer, tie: str) -> None:
    for name, body in forms(renderer.render_alert(ctx_for(tie))).items():
        assert "submit your application" in body, name
        assert APPLY_BY in body, name


@pytest.mark.parametrize("standing", [s for s in STANDINGS if s != "below"])
def test_correction_forms_say_the_deadline(renderer: Renderer, standing: str) -> None:
    for name, body in forms(render_correction(renderer, correction_for(standing))).items():
        assert APPLY_BY in body, name


@pytest.mark.parametrize("category", CATEGORY_KEYS)
@pytest.mark.parametrize("standing", STANDINGS)
def test_correction_short_form_length_and_one_link(renderer: Renderer, category: str, standing: str) -> None:
    short = render_correction(renderer, correction_for(standing, category, unsubscribe_hint=None)).short
    assert short is not None
    assert len(short) <= MAX_SHORT
    assert short.count("https://") == 1 and short.count(URL_437) == 1
    paragraphs = short.split("\n\n")
    assert all(p and "\n" not in p for p in paragraphs)
    assert f": round #437 {CATEGORY_SHORT_LABELS[category]} corrected:" in paragraphs[0]
