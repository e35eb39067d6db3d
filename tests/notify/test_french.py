"""Messages in French: templates in templates/fr/, French formats and labels, per-language operator overrides.

The rounds are real ones: the French names are those of IRCC's French feed (``ee_rounds_123_fr``, in
tests/fixtures), the figures those of the rounds the English tests use.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from drawwatch.domain.categories import (
    CATEGORY_KEYS,
    CATEGORY_LABELS_FR,
    CATEGORY_SHORT_LABELS_FR,
    category_label,
    category_short_label,
    classify,
)
from drawwatch.domain.corrections import StoredChange
from drawwatch.notify import phrases
from drawwatch.notify.correction import ChangeLine, CorrectionContext, change_line, render_correction
from drawwatch.notify.message import AlertContext, RenderedMessage
from drawwatch.notify.phrases import NBSP
from drawwatch.notify.render import Renderer, TemplateProblem
from drawwatch.notify.sandbox import RenderLimits
from tests.notify.test_template_bombs import BOMBS, CHILD, PEAK_MEMORY_MB, RENDER_SECONDS
from tests.support.commands import ROOT, clean_env
from tests.support.feeds import FIXTURES
from tests.support.messages import make_ctx, make_round
from tests.support.times import TIE_BREAK, utc

PACKAGE_TEMPLATES = Path(__file__).resolve().parents[2] / "drawwatch" / "templates"
FRENCH_NAMES = FIXTURES / "ee_rounds_123_fr.DERIVED-names-only.430.committed-2026-07-23.json"
HINT = "To stop these alerts: https://example.org/stop?token=T0K3N"

# English that must not be left in a French message (URLs are taken out first: canada.ca's are English).
ENGLISH = re.compile(
    r"\b(?:Hello|round|cut-off|Cut-off|Your|your|you|invited|Invitations|Tie-break|tie-break|Check|"
    r"account|submit|application|within|days|before|after|since|lower|higher|birthday|qualify|Details|"
    r"published|still|corrected|work experience|only|January|February|March|April|May|June|July|August|"
    r"September|October|November|December|at|the|and|of|stop|alerts|CRS|Reminder|expires|drops)\b"
)
URLS = re.compile(r"https?://\S+?(?=[\"<\s]|$)")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def french_names() -> dict[str, set[str]]:
    """IRCC's French round names by category key, without their occupation-list version."""
    draws = json.loads(FRENCH_NAMES.read_text(encoding="utf-8"))["draws"]
    names: dict[str, set[str]] = {}
    for draw in draws:
        name = re.sub(r"[ ,]*\(?(\d{4}-)?[Vv]ersion \d+\)?$", "", draw["category"]).strip()
        names.setdefault(classify(draw["category"]), set()).add(name.replace("’", "'"))
    return names


def french_round(number: int) -> dict[str, Any]:
    """One round of IRCC's French feed (the derived copy in tests/fixtures)."""
    draws = json.loads(FRENCH_NAMES.read_text(encoding="utf-8"))["draws"]
    return next(draw for draw in draws if draw["drawNumber"] == number)


def english_left(message: RenderedMessage) -> list[str]:
    """English words in any part of ``message`` (its links aside)."""
    found: list[str] = []
    for part in (message.subject, message.text, message.html, message.short or ""):
        found += ENGLISH.findall(URLS.sub(" ", part))
    return found


# --------------------------------------------------------------------------------------- labels, formats


def test_every_category_has_a_french_label_and_short_label() -> None:
    assert set(CATEGORY_LABELS_FR) == set(CATEGORY_KEYS) == set(CATEGORY_SHORT_LABELS_FR)
    assert category_label("stem", "fr") == "Professions des STIM"
    assert category_label("stem") == category_label("stem", "en") == "STEM"
    assert category_label("stem", "de") == "STEM"  # a language without labels reads English
    assert category_label("nope", "fr") == "nope"
    assert category_short_label("fsw", "fr") == "PTQF"


def test_french_labels_are_irccs_french_names() -> None:
    """Each label is one of the names IRCC's French feed gave that round type (the list version aside)."""
    for key, names in french_names().items():
        label = CATEGORY_LABELS_FR[key].replace("’", "'")
        if key == "general":  # "Aucun programme spécifié" and "Générale": the label says both
            assert label.startswith("Générale"), label
        else:
            assert label in names, (key, label, names)


@pytest.mark.parametrize(
    ("func", "value", "expected"),
    [
        (phrases.thousands_fr, 1500, f"1{NBSP}500"),
        (phrases.thousands_fr, 20784, f"20{NBSP}784"),
        (phrases.thousands_fr, 1234567, f"1{NBSP}234{NBSP}567"),
        (phrases.thousands_fr, 382, "382"),
        (phrases.long_date_fr, date(2026, 12, 4), "4 décembre 2026"),
        (phrases.long_date_fr, date(2026, 3, 1), "1er mars 2026"),
        (phrases.long_date_fr, date(2026, 8, 19), "19 août 2026"),
        (phrases.utc_time_fr, utc(2026, 12, 4, 14, 5), "4 décembre 2026 à 14 h 05 UTC"),
        (phrases.utc_time_fr, TIE_BREAK, "1er mars 2026 à 18 h 34 min 05 s UTC"),
        (phrases.points_fr, 0, "0 point"),
        (phrases.points_fr, 1, "1 point"),
        (phrases.points_fr, 8, "8 points"),
        (phrases.long_date, date(2026, 12, 4), "December 4, 2026"),
        (phrases.thousands, 1500, "1,500"),
    ],
)
def test_formats(func: Any, value: Any, expected: str) -> None:
    assert func(value) == expected


def test_french_utc_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        phrases.utc_time_fr(TIE_BREAK.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("stored", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("en", "en"),
        ("fr", "fr"),
        ("FR", "fr"),
        ("fr-CA", "fr"),
        (" fr_ca ", "fr"),
        ("de", "de"),
        ("../../etc", "en"),
        ("fr/../..", "en"),
    ],
)
def test_stored_languages_are_normalized(stored: str | None, language: str) -> None:
    assert phrases.normalize_language(stored) == language


# ---------------------------------------------------------------------------------------------- alerts

# A real round per kind of alert: #437 (French-language proficiency, tie-break known), #428 of the French
# feed (Canadian Experience Class: Canadian work experience only), and #430 (military recruits, 4 invited).
R428 = french_round(428)
ROUND_428 = make_round(
    number="428",
    date=date.fromisoformat(R428["date"]),
    name="Canadian Experience Class",
    category="cec",
    category_label="Canadian Experience Class",
    crs=R428["minimumCRS"],
    invitations=R428["invitationsIssued"],
)
ALERTS: dict[str, tuple[AlertContext, list[str]]] = {
    "clear": (
        make_ctx(390, "clear", unsubscribe_hint=HINT),
        [
            "Note suffisante : ronde nº 437 (Français), note minimale 382 (vous : 390)",
            "Compétence linguistique en français",
            "19 août 2026",
            f"5{NBSP}000",
            "dépasse de 8 points la note minimale de 382",
            "au plus tard le 18 octobre 2026",
            "1er mars 2026 à 18 h 34 min 05 s UTC",
            "Pour ne plus recevoir ces alertes",
        ],
    ),
    "tie_invited": (
        make_ctx(382, "tie_invited"),
        [
            "Bris d'égalité en votre faveur : ronde nº 437 (Français), égalité avec la note minimale 382",
            "soumis avant le 1er mars 2026 à 18 h 34 min 05 s UTC",
            "vous devriez donc avoir reçu une invitation",
        ],
    ),
    "tie_unknown": (
        make_ctx(382, "tie_unknown"),
        ["Le bris d'égalité tranche", "règle de bris d'égalité qui détermine"],
    ),
    "tie_not_published": (
        make_ctx(382, "tie_unknown", round_=make_round(tie_break=None, tie_break_raw="")),
        ["elles n'ont pas encore été publiées", "Règle de bris d'égalité : non publiée"],
    ),
    "canadian_experience": (
        make_ctx(530, "clear", round_=ROUND_428),
        [
            "ronde nº 428 (CEC)",
            "Catégorie de l’expérience canadienne",
            "21 juillet 2026",
            f"2{NBSP}000",
            "réservée aux candidats ayant de l'expérience de travail au Canada",
        ],
    ),
    "profile": (
        replace(
            make_ctx(390, "clear"),
            score_rules="crs-2025-03-25",
            score_note="5 points lower since your birthday on 2026-03-14",
            score_next="5 points lower from your birthday on 2027-03-14",
        ),
        [
            "5 points de moins depuis votre anniversaire du 14 mars 2026",
            "5 points de moins à partir de votre anniversaire du 14 mars 2027",
            "règles crs-2025-03-25",
        ],
    ),
}


@pytest.mark.parametrize("case", ALERTS)
def test_french_alert(renderer: Renderer, case: str) -> None:
    ctx, shown = ALERTS[case]
    message = renderer.render_alert(ctx, language="fr")

    for body in (message.text, message.html):
        assert "Bonjour Ana," in body
        assert "Entrée express" in body and "note minimale" in body
        assert ctx.round.url in body
    everything = "\n".join([message.subject, message.text, message.html, message.short or ""])
    for words in shown:  # every no-break space is one in the message, and every plain one is plain
        assert words.replace(" :", f"{NBSP}:").replace("nº ", f"nº{NBSP}") in everything, words
    assert english_left(message) == []
    assert message.short is not None and message.short.count(ctx.round.url) == 1
    assert "\n" not in message.subject and len(message.subject) < 100


def test_the_subject_and_short_form_keep_their_no_break_spaces(renderer: Renderer) -> None:
    message = renderer.render_alert(make_ctx(390, "clear"), language="fr")
    assert message.subject.startswith(f"Note suffisante{NBSP}: ronde nº{NBSP}437")
    assert message.short is not None and f"(vous{NBSP}: 390)" in message.short


def test_the_english_alert_is_unchanged(renderer: Renderer) -> None:
    ctx = make_ctx(390, "clear", unsubscribe_hint=HINT)
    english = renderer.render_alert(ctx, language="en")
    assert english == renderer.render_alert(ctx) == Renderer().render_alert(ctx)
    assert english.subject == "You qualify: round #437 French, cut-off 382 (you 390)"
    assert "Express Entry round #437 was published: French, August 19, 2026." in english.text
    assert HINT in english.text


def test_french_html_is_escaped(renderer: Renderer) -> None:
    other = make_round(category="other", category_label="Other", name="<b>New</b> & round")
    message = renderer.render_alert(
        make_ctx(390, "clear", subscriber_name="<script>", round_=other), language="fr"
    )
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "&lt;b&gt;New&lt;/b&gt; &amp; round" in message.html
    assert "Type de ronde" in message.text and "Autre" in message.text
    assert f"«{NBSP}<b>New</b> & round{NBSP}»" in message.text


def test_an_unknown_category_shows_irccs_name_only_there(renderer: Renderer) -> None:
    """The IRCC name is English (the feed is): French alerts show it only when the label cannot say more."""
    message = renderer.render_alert(make_ctx(390, "clear"), language="fr")
    assert "French-Language proficiency" not in message.text + message.html


def test_a_language_without_texts_reads_english(renderer: Renderer) -> None:
    ctx = make_ctx(390, "clear")
    assert renderer.render_alert(ctx, language="de") == renderer.render_alert(ctx)
    assert renderer.render_alert(ctx, language="fr-CA") == renderer.render_alert(ctx, language="fr")


# ------------------------------------------------------------------------------------------ corrections

ROUND_436 = make_round(
    number="436",
    date=date(2026, 8, 18),
    name="Canadian Experience Class",
    category="cec",
    category_label="Canadian Experience Class",
    crs=531,
    invitations=1000,
    tie_break=utc(2026, 8, 17, 23, 9),
    tie_break_raw="August 17, 2026 at 23:09:00 UTC",
)
CHANGES = (
    change_line(StoredChange.decode("crs", "523", "531")),
    change_line(StoredChange.decode("invitations", "1000", "1500")),
)


def notice(**overrides: Any) -> CorrectionContext:
    fields: dict[str, Any] = {
        "round": ROUND_436,
        "changes": CHANGES,
        "subscriber_name": "Bo",
        "subscriber_crs": 540,
        "standing": "clear",
        "unsubscribe_hint": HINT,
    }
    fields.update(overrides)
    return CorrectionContext(**fields)


STANDINGS: dict[str, tuple[dict[str, Any], str, str]] = {
    "clear": (
        {},
        "Note toujours suffisante : ronde nº 436 corrigée, note minimale 531 (vous : 540)",
        "dépasse toujours de 9 points la note minimale de 531",
    ),
    "below": (
        {"subscriber_crs": 530, "standing": "below"},
        "Sous la nouvelle note minimale : ronde nº 436 corrigée, note minimale 531 (vous : 530)",
        "lui est inférieure de 1 point : vous n'avez très probablement pas reçu d'invitation",
    ),
    "tie_unknown": (
        {"subscriber_crs": 531, "standing": "tie_unknown"},
        "Le bris d'égalité tranche : ronde nº 436 corrigée, égalité avec la note minimale 531",
        "dépend de la règle de bris d'égalité (17 août 2026 à 23 h 09 UTC)",
    ),
    "tie_invited": (
        {"subscriber_crs": 531, "standing": "tie_invited"},
        "Bris d'égalité en votre faveur : ronde nº 436 corrigée, égalité avec la note minimale 531",
        "vous devriez donc avoir reçu une invitation",
    ),
    "tie_not_invited": (
        {"subscriber_crs": 531, "standing": "tie_not_invited"},
        "Bris d'égalité en votre défaveur : ronde nº 436 corrigée, égalité avec la note minimale 531",
        "vous n'avez très probablement pas reçu d'invitation",
    ),
}


def nbsp(text: str) -> str:
    return text.replace(" :", f"{NBSP}:").replace("nº ", f"nº{NBSP}")


@pytest.mark.parametrize("standing", STANDINGS)
def test_french_correction(renderer: Renderer, standing: str) -> None:
    overrides, subject, sentence = STANDINGS[standing]
    message = render_correction(renderer, notice(**overrides), language="fr")

    assert message.subject == nbsp(subject)
    assert "Nombre d&#39;invitations" in message.html  # the labels are values: escaped like any other
    for body in (message.text, html.unescape(message.html)):
        assert "Bonjour Bo," in body and "Catégorie de l’expérience canadienne" in body
        assert "18 août 2026" in body
        assert nbsp("Note minimale du SCG :") in body and "523" in body and "531" in body
        assert nbsp("Nombre d'invitations :") in body and f"1{NBSP}500" in body
        assert nbsp(sentence) in " ".join(body.split(" ")).replace("\n", " ")
        assert "token=T0K3N" in body and nbsp("Pour ne plus recevoir ces alertes :") in body
    assert message.short is not None and "nº" in message.short and ROUND_436.url in message.short
    assert english_left(message) == []


def test_the_english_correction_is_unchanged(renderer: Renderer) -> None:
    english = render_correction(renderer, notice(), language="en")
    assert english == render_correction(renderer, notice())
    assert english.subject == "You still qualify: round #436 corrected, cut-off 531 (you 540)"
    assert "- Cut-off: CRS 523, now CRS 531" in english.text


@pytest.mark.parametrize(
    ("field", "old", "new", "shown"),
    [
        ("crs", "523", "531", ChangeLine("crs", "Note minimale du SCG", "523", "531")),
        ("invitations", "1000", "1500", ChangeLine("invitations", "Nombre d'invitations", "1 000", "1 500")),
        ("date", '"2026-08-18"', '"2026-08-19"', ChangeLine("date", "Date", "18 août 2026", "19 août 2026")),
        (
            "tie_break",
            '"2026-08-17T22:09:00+00:00"',
            "null",
            ChangeLine("tie_break", "Règle de bris d'égalité", "17 août 2026 à 22 h 09 UTC", "non publié"),
        ),
        (
            "category",
            '"general"',
            '"cec"',
            ChangeLine(
                "category",
                "Type de ronde",
                "Générale (tous les programmes)",
                "Catégorie de l’expérience canadienne",
            ),
        ),
    ],
)
def test_french_change_lines(field: str, old: str, new: str, shown: ChangeLine) -> None:
    change = StoredChange.decode(field, old, new)
    expected = replace(shown, old=shown.old.replace(" ", NBSP) if field == "invitations" else shown.old)
    expected = replace(expected, new=shown.new.replace(" ", NBSP) if field == "invitations" else shown.new)
    assert change_line(change, "fr") == expected
    # A line made in English is shown in French again when rendered in French.
    from drawwatch.notify.correction import localized_line

    assert localized_line(change_line(change), "fr") == expected


def test_a_change_line_made_from_text_is_relabelled() -> None:
    from drawwatch.notify.correction import localized_line

    line = ChangeLine("crs", "Cut-off", "CRS 523", "CRS 531")
    assert localized_line(line, "fr") == ChangeLine("crs", "Note minimale du SCG", "CRS 523", "CRS 531")


# --------------------------------------------------------------------------------------------- phrases


@pytest.mark.parametrize(
    ("english", "french"),
    [
        (
            "5 points lower since your birthday on 2026-03-14",
            "5 points de moins depuis votre anniversaire du 14 mars 2026",
        ),
        ("1 point higher than on 2026-05-01", "1 point de plus que le 1er mai 2026"),
        (
            "5 points higher than on 2026-05-01, before your birthday on 2026-03-14",
            "5 points de plus que le 1er mai 2026, avant votre anniversaire du 14 mars 2026",
        ),
        (
            "5 points lower from your birthday on 2027-03-14",
            "5 points de moins à partir de votre anniversaire du 14 mars 2027",
        ),
        (
            "12 points lower since 2026-09-20 (first_language: the IELTS General Training result of 2024-09-20 "
            "expires (two years))",
            f"12 points de moins depuis le 20 septembre 2026 (première langue officielle{NBSP}: le résultat IELTS "
            "General Training du 20 septembre 2024 expire (après deux ans))",
        ),
        (
            "3 points higher from 2026-04-01 (rule set crs-2026-04-01 takes effect)",
            "3 points de plus à partir du 1er avril 2026 (entrée en vigueur des règles crs-2026-04-01)",
        ),
        (
            "10 points lower since your birthday on 2026-03-14 and 2026-04-01 (rule set crs-2026-04-01 takes "
            "effect)",
            "10 points de moins depuis votre anniversaire du 14 mars 2026 et le 1er avril 2026 (entrée en vigueur "
            "des règles crs-2026-04-01)",
        ),
        ("something else entirely", "something else entirely"),
    ],
)
def test_score_notes_in_french(english: str, french: str) -> None:
    assert phrases.score_note(english, "fr") == french
    assert phrases.score_note(english, "en") == english
    assert phrases.score_note(None, "fr") is None


def test_score_notes_of_the_rescoring_read_in_french() -> None:
    """The notes app.rescore really writes (a birthday costs 5 points at 30) are all recognised."""
    from drawwatch.app.rescore import change_note, next_change
    from drawwatch.domain.crs import parse_profile
    from tests.support.profiles import BIRTHDAY, EVE, PROFILE_DATA

    profile = parse_profile(PROFILE_DATA)
    notes = [
        change_note(profile, EVE, BIRTHDAY),
        change_note(profile, BIRTHDAY, EVE),
        next_change(profile, EVE),
        next_change(profile, BIRTHDAY),
    ]
    for note in notes:
        if note is not None:
            french = phrases.score_note(note, "fr")
            assert french != note and ENGLISH.findall(french) == [], (note, french)
    assert phrases.score_note(notes[0], "fr") == "5 points de moins depuis votre anniversaire du 21 août 2026"


@pytest.mark.parametrize("url", [None, "https://example.org/stop?token={token}"])
def test_the_unsubscribe_line_in_each_language(url: str | None) -> None:
    """English is word for word deliver's; deliver's English is put in French when rendering in French."""
    from drawwatch.app.deliver import unsubscribe_hint
    from drawwatch.config import Settings

    settings = Settings(unsubscribe_url=url)  # type: ignore[call-arg]
    english = unsubscribe_hint(settings, "T0K3N")
    assert phrases.unsubscribe_hint("T0K3N", url, "en") == english
    french = phrases.unsubscribe_hint("T0K3N", url, "fr")
    assert french.startswith("Pour ne plus recevoir ces alertes") and "T0K3N" in french
    assert phrases.localize_unsubscribe_hint(english, "fr") == french
    assert phrases.localize_unsubscribe_hint(english, "en") == english
    assert phrases.localize_unsubscribe_hint("Write to me to stop", "fr") == "Write to me to stop"


# ----------------------------------------------------------------------------------------- reminders


@pytest.mark.parametrize(
    ("kind", "what", "before", "after", "shown"),
    [
        ("birthday", "age 30", 470, 465, ["vous aurez 30 ans", "baissera de 5 points", "de 470 à 465"]),
        (
            "language_expiry",
            "the IELTS General Training result of 2024-12-10 (first language)",
            470,
            446,
            [
                "le résultat IELTS General Training du 10 décembre 2024 (première langue officielle)",
                "24 points",
            ],
        ),
        (
            "profile_expiry",
            "the Express Entry profile",
            None,
            None,
            ["votre profil Entrée express", "expirera"],
        ),
    ],
)
def test_french_reminders(
    renderer: Renderer, kind: str, what: str, before: int | None, after: int | None, shown: list[str]
) -> None:
    from drawwatch.notify.reminder import REMINDER_PREFIX, ReminderContext

    ctx = ReminderContext(
        kind=kind,
        day=date(2026, 12, 10),
        what=what,
        subscriber_name="Ana",
        score_now=before,
        score_after=after,
        unsubscribe_hint=HINT,
    )
    context = phrases.localize_reminder_context(ctx.template_context(), "fr")
    message = renderer.render_message(REMINDER_PREFIX, context, language="fr")
    everything = "\n".join([message.subject, message.text, message.html, message.short or ""])
    assert "10 décembre 2026" in message.subject
    for words in shown:
        assert words in everything, words
    assert "Bonjour Ana," in message.text
    assert english_left(message) == [], message


def test_the_reminders_of_a_real_profile_read_in_french() -> None:
    """What domain.crs.reminders names each event is recognised (a birthday, a test result, the profile)."""
    from drawwatch.domain.crs import parse_profile
    from drawwatch.domain.crs.reminders import foreseen
    from tests.support.profiles import profile_data

    profile = parse_profile(profile_data(profile_created="2026-01-10"))
    events = foreseen(profile, date(2026, 1, 1))
    assert {event.kind for event in events} == {"birthday", "language_expiry", "profile_expiry"}
    for event in events:
        french = phrases.reminder_what(event.what, "fr")
        assert french != event.what and ENGLISH.findall(french) == [], (event.what, french)
    assert phrases.reminder_what("age 30", "en") == "age 30"
    assert phrases.reminder_what("something new", "fr") == "something new"


def test_every_packaged_message_template_has_a_french_one() -> None:
    english = {path.name for path in PACKAGE_TEMPLATES.glob("*.j2")}
    french = {path.name for path in (PACKAGE_TEMPLATES / "fr").glob("*.j2")}
    assert english and sorted(english - french) == []
    assert sorted(french - english) == []


def test_the_french_templates_ship_in_the_package() -> None:
    project = tomllib.loads((PACKAGE_TEMPLATES.parents[1] / "pyproject.toml").read_text())
    assert "templates/fr/*" in project["tool"]["setuptools"]["package-data"]["drawwatch"]
    assert resources.files("drawwatch").joinpath("templates/fr/alert.txt.j2").is_file()


# ---------------------------------------------------------------------------------- operator overrides


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_an_operator_french_template_applies_to_french_only(tmp_path: Path) -> None:
    write(
        tmp_path / "fr" / "alert_subject.txt.j2",
        "Ronde {{ round.number }} : {{ round.invitations|thousands }}",
    )
    renderer = Renderer(tmp_path)
    assert renderer.render_alert(make_ctx(), language="fr").subject == f"Ronde 437 : 5{NBSP}000"
    assert renderer.render_alert(make_ctx()).subject.startswith("You qualify: round #437")
    # The other French templates are still the packaged French ones.
    assert "Bonjour Ana," in renderer.render_alert(make_ctx(), language="fr").text


def test_an_operator_root_template_applies_to_english_only(tmp_path: Path) -> None:
    write(tmp_path / "alert_subject.txt.j2", "Round {{ round.number }}")
    renderer = Renderer(tmp_path)
    assert renderer.render_alert(make_ctx()).subject == "Round 437"
    assert renderer.render_alert(make_ctx(), language="fr").subject.startswith(f"Note suffisante{NBSP}:")


def test_an_operator_english_subdirectory_applies_to_english(tmp_path: Path) -> None:
    write(tmp_path / "alert_subject.txt.j2", "root")
    write(tmp_path / "en" / "alert_subject.txt.j2", "en/")
    assert Renderer(tmp_path).render_alert(make_ctx()).subject == "en/"


def test_an_unknown_language_reads_its_operator_templates_then_english(tmp_path: Path) -> None:
    write(tmp_path / "alert_subject.txt.j2", "root")
    write(tmp_path / "de" / "alert_subject.txt.j2", "Runde {{ round.number }}")
    renderer = Renderer(tmp_path)
    german = renderer.render_alert(make_ctx(), language="de")
    assert german.subject == "Runde 437"
    assert german.text == Renderer().render_alert(make_ctx()).text  # the packaged English, not "root"
    assert renderer.render_alert(make_ctx(), language="es").subject.startswith("You qualify")


def test_an_operator_french_include_is_read_from_fr(tmp_path: Path) -> None:
    write(tmp_path / "fr" / "correction_standing.txt.j2", "Situation maison.")
    message = render_correction(Renderer(tmp_path), notice(), language="fr")
    assert "Situation maison." in message.text and "Situation maison." in message.html
    assert "Situation maison." not in render_correction(Renderer(tmp_path), notice()).text


def test_a_french_template_problem_names_the_french_file(tmp_path: Path) -> None:
    write(tmp_path / "fr" / "alert.txt.j2", "Bonjour\n{{ round.nope }}\n")
    with pytest.raises(TemplateProblem, match=r"fr/alert\.txt\.j2 \(.*\), line 2") as caught:
        Renderer(tmp_path).render_alert(make_ctx(), language="fr")
    assert caught.value.lineno == 2
    Renderer(tmp_path).render_alert(make_ctx())  # English is not affected


def test_each_language_has_one_environment_made_when_first_needed(tmp_path: Path) -> None:
    renderer = Renderer(tmp_path)
    renderer.env.auto_reload = False  # as a delivery run sets it
    assert renderer.environment("en") is renderer.env
    french = renderer.environment("fr")
    assert french is renderer.environment("fr-CA") is renderer.environment("FR")
    assert french is not renderer.env and french.auto_reload is False
    assert french.from_string("{{ 1500|thousands }}").render() == f"1{NBSP}500"
    assert renderer.env.from_string("{{ 1500|thousands }}").render() == "1,500"


# ------------------------------------------------------------------------------------------------ limits

FRENCH_BOMBS = [
    ("string-multiply", "{{ 'a'*400000000 }}", r"the result of \* would be 400,000,000 characters"),
    ("range-huge", "{{ range(400000000)|list }}", r"range\(\) of 400,000,000 numbers is over the limit"),
    (
        "nested-loops",
        "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
        r"more than 1,000 loop iterations and calls",
    ),
    ("center", "{{ 'a'|center(400000000) }}", r"the result of center"),
]


@pytest.mark.parametrize(("source", "says"), [pytest.param(s, m, id=i) for i, s, m in FRENCH_BOMBS])
def test_a_template_bomb_in_fr_is_refused(tmp_path: Path, source: str, says: str) -> None:
    write(tmp_path / "fr" / "alert.txt.j2", source)
    renderer = Renderer(tmp_path, limits=RenderLimits(max_steps=1_000, max_seconds=5))
    with pytest.raises(TemplateProblem, match=says) as caught:
        renderer.render_alert(make_ctx(), language="fr")
    assert "fr/alert.txt.j2" in str(caught.value)


FRENCH_CHILD = CHILD.replace("renderer.render_alert(ctx)", "renderer.render_alert(ctx, language='fr')")


@pytest.mark.slow
@pytest.mark.parametrize(("source", "says"), [pytest.param(s, m, id=i) for i, s, m in BOMBS])
def test_every_template_bomb_in_fr_fails_fast_and_small(tmp_path: Path, source: str, says: str) -> None:
    """The bombs of test_template_bombs, dropped in fr/, with the default limits, in a child process."""
    write(tmp_path / "fr" / "alert.txt.j2", source)
    child = subprocess.run(
        [sys.executable, "-c", FRENCH_CHILD, str(tmp_path)],
        env=clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout)
    assert result["error"] is not None, "the bomb rendered"
    where = tmp_path / "fr" / "alert.txt.j2"
    assert result["error"].startswith(f"template fr/alert.txt.j2 ({where}), line 1: "), result["error"]
    assert re.search(says, result["error"]), result["error"]
    assert result["seconds"] < RENDER_SECONDS, result
    assert result["peak_mb"] < PEAK_MEMORY_MB, result


def test_the_output_cap_applies_to_french(tmp_path: Path) -> None:
    write(tmp_path / "fr" / "alert.txt.j2", "{% for i in range(500) %}{{ 'x' * 100 }}{% endfor %}")
    with pytest.raises(TemplateProblem, match="output exceeds 4096 bytes"):
        Renderer(tmp_path, max_output_bytes=4096).render_alert(make_ctx(), language="fr")


def test_the_packaged_french_templates_fit_the_default_limits(renderer: Renderer) -> None:
    for ctx, _ in ALERTS.values():
        message = renderer.render_alert(ctx, language="fr")
        assert len(message.html.encode()) < 16 * 1024
