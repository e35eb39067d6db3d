"""Rendering alerts: what a candidate reads, escaping, operator overrides and template failures."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jinja2
import pytest

from drawwatch.notify.message import AlertContext, RenderedMessage
from drawwatch.notify.render import (
    Renderer,
    TemplateProblem,
    alert_template_context,
    long_date,
    points,
    thousands,
    utc_time,
)
from tests.support.messages import URL_437, make_ctx, make_round
from tests.support.times import TIE_BREAK, TIE_TEXT


def visible(markup: str) -> str:
    """What a reader sees of the HTML: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


# ---------------------------------------------------------------------------------------------- content

CAVEAT_UNKNOWN = (
    f"Your score equals the cut-off: only profiles submitted before {TIE_TEXT} were invited. "
    "You did not save your profile submission time, "
    "so whether you were invited depends on that tie-breaking rule."
)

CONTENT_CASES = [
    pytest.param(
        make_ctx(390, "clear"),
        "You qualify: round #437 French, cut-off 382 (you 390)",
        ["Your CRS 390 clears the French cut-off of 382 by 8 points.", f"Tie-break: {TIE_TEXT}"],
        ["Your score equals the cut-off", "Occupation list", "qualifying occupation"],
        id="above-cutoff",
    ),
    pytest.param(
        make_ctx(383, "clear"),
        "You qualify: round #437 French, cut-off 382 (you 383)",
        ["Your CRS 383 clears the French cut-off of 382 by 1 point."],
        ["1 points"],
        id="one-point-above",
    ),
    pytest.param(
        make_ctx(382, "tie_unknown"),
        "Tie-break decides: round #437 French, you tie cut-off 382",
        ["Your CRS 382 meets the French cut-off of 382.", CAVEAT_UNKNOWN],
        ["clears", "You saved a profile submission time"],
        id="tie-unknown",
    ),
    pytest.param(
        make_ctx(382, "tie_invited"),
        "Tie-break favours you: round #437 French, you tie cut-off 382",
        [
            f"Your score equals the cut-off: only profiles submitted before {TIE_TEXT} were invited.",
            "You saved a profile submission time before that, so under the tie-breaking rule you should have "
            "been invited.",
        ],
        ["You did not save"],
        id="tie-invited",
    ),
    pytest.param(
        make_ctx(382, "tie_unknown", make_round(tie_break=None, tie_break_raw="")),
        None,
        [
            "only profiles submitted before the round's tie-break time were invited, and that time has not "
            "been published, so whether you were invited depends on when you submitted your profile.",
            "Tie-break: not published",
        ],
        [TIE_TEXT],
        id="tie-unknown-no-tie-break",
    ),
    pytest.param(
        make_ctx(382, "tie_unknown", make_round(tie_break=None, tie_break_raw="to be confirmed")),
        None,
        ['that time was published as "to be confirmed"', "Tie-break: to be confirmed"],
        ["not published"],
        id="tie-break-unparsed-shows-irccs-text",
    ),
    pytest.param(
        make_ctx(390, "clear", make_round(tie_break=None, tie_break_raw="")),
        None,
        ["Tie-break: not published", "by 8 points"],
        [],
        id="above-cutoff-no-tie-break",
    ),
    pytest.param(
        make_ctx(
            495,
            "clear",
            make_round(
                number="433",
                category="stem",
                category_label="STEM",
                name="STEM occupations 2026-Version 2",
                list_version="2026-Version 2",
                crs=481,
                invitations=1500,
            ),
            qualifying_occupation="21231 Software engineers and designers",
        ),
        "You qualify: round #433 STEM, cut-off 481 (you 495)",
        [
            "Your CRS 495 clears the STEM cut-off of 481 by 14 points.",
            "Occupation list: 2026-Version 2",
            "Your qualifying occupation: 21231 Software engineers and designers",
            "Invitations: 1,500",
        ],
        [],
        id="occupation-and-list-version",
    ),
    pytest.param(
        make_ctx(390, "clear", unsubscribe_hint="Reply STOP to stop these alerts."),
        None,
        ["Reply STOP to stop these alerts."],
        [],
        id="unsubscribe-hint",
    ),
]


@pytest.mark.parametrize(("ctx", "subject", "present", "absent"), CONTENT_CASES)
def test_alert_content(
    renderer: Renderer, ctx: AlertContext, subject: str | None, present: list[str], absent: list[str]
) -> None:
    message = renderer.render_alert(ctx)
    assert isinstance(message, RenderedMessage)
    if subject is not None:
        assert message.subject == subject
    assert "\n" not in message.subject
    for body in (flat(message.text), visible(message.html)):
        for phrase in present:
            assert phrase in body
        for phrase in absent:
            assert phrase not in body


def test_every_alert_names_the_round(renderer: Renderer) -> None:
    """docs/design.md: number, date, type, cut-off, invitations, tie-break, link, and why the reader gets it."""
    message = renderer.render_alert(make_ctx(390, "clear"))
    for body in (flat(message.text), visible(message.html)):
        assert "Round: #437 on August 19, 2026" in body
        assert "Type: French (IRCC's name:" in body
        assert "French-Language proficiency 2026-Version 2" in body
        assert "Cut-off: CRS 382" in body
        assert "Invitations: 5,000" in body
        assert URL_437 in body
        assert "You get this alert because" in body
    assert f'<a href="{html.escape(URL_437)}">' in message.html


def test_without_optional_fields_nothing_dangles(renderer: Renderer) -> None:
    message = renderer.render_alert(make_ctx(390, "clear"))
    assert "None" not in message.text and "None" not in message.html
    assert "\n\n\n" not in message.text
    assert message.text.endswith("\n") and not message.text.endswith("\n\n")


def test_html_escapes_subscriber_and_round_text(renderer: Renderer) -> None:
    evil = '<script>alert("x")</script> & <b>'
    ctx = make_ctx(
        390,
        "clear",
        make_round(name="STEM <img src=x onerror=alert(1)>"),
        subscriber_name=evil,
        qualifying_occupation="<i>21231</i>",
        unsubscribe_hint='<a href="javascript:alert(1)">x</a>',
    )
    message = renderer.render_alert(ctx)
    assert "<script>" not in message.html
    assert "<img" not in message.html
    assert '<a href="javascript' not in message.html
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt;" in message.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;" in message.html
    assert "&lt;i&gt;21231&lt;/i&gt;" in message.html
    # the plain-text rendering is not HTML: the name appears as typed
    assert evil in message.text


def test_tie_break_shown_in_utc(renderer: Renderer) -> None:
    toronto = timezone(timedelta(hours=-4))
    round_ = make_round(tie_break=datetime(2026, 3, 1, 14, 34, 5, tzinfo=toronto))
    assert round_.tie_break == TIE_BREAK and round_.tie_break.tzinfo == UTC
    message = renderer.render_alert(make_ctx(382, "tie_unknown", round_))
    assert TIE_TEXT in message.text


# ----------------------------------------------------------------------------------------- consistency


@pytest.mark.parametrize(
    ("build", "match"),
    [
        pytest.param(lambda: make_ctx(381, "clear"), "below the cut-off", id="below-cutoff"),
        pytest.param(lambda: make_ctx(382, "clear"), "equal to the cut-off needs", id="clear-at-cutoff"),
        pytest.param(lambda: make_ctx(390, "tie_unknown"), "only for a score equal", id="tie-above-cutoff"),
        pytest.param(
            lambda: make_ctx(382, "tie_invited", make_round(tie_break=None)),
            "needs the round's tie-break time",
            id="tie-invited-without-tie-break",
        ),
        pytest.param(lambda: make_ctx(390, "maybe"), "tie must be one of", id="unknown-tie"),
        pytest.param(
            lambda: make_round(tie_break=datetime(2026, 3, 1, 18, 34, 5)),
            "timezone-aware",
            id="naive-tie-break",
        ),
    ],
)
def test_contradictory_alerts_are_rejected(build: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()


def test_margin() -> None:
    assert make_ctx(489, "clear", make_round(crs=481)).margin == 8
    assert make_ctx(382, "tie_unknown").margin == 0


@pytest.mark.parametrize(
    ("func", "value", "expected"),
    [
        (thousands, 1500, "1,500"),
        (thousands, 999, "999"),
        (long_date, date(2026, 8, 19), "August 19, 2026"),
        (long_date, date(2026, 1, 1), "January 1, 2026"),
        (utc_time, datetime(2026, 3, 1, 18, 34, 5, tzinfo=UTC), TIE_TEXT),
        (utc_time, datetime(2026, 3, 1, 20, 34, 5, tzinfo=timezone(timedelta(hours=2))), TIE_TEXT),
        (points, 1, "1 point"),
        (points, 8, "8 points"),
    ],
)
def test_filters(func: Any, value: Any, expected: str) -> None:
    assert func(value) == expected


# ------------------------------------------------------------------------------------ operator templates


def test_operator_overrides_one_template(tmp_path: Path) -> None:
    (tmp_path / "alert_subject.txt.j2").write_text(
        "[drawwatch] #{{ round.number }} {{ round.category_label }}: {{ round.crs }}"
        " (you: {{ subscriber_crs }})\n"
    )
    message = Renderer(tmp_path).render_alert(make_ctx(390, "clear"))
    assert message.subject == "[drawwatch] #437 French: 382 (you: 390)"
    assert "Your CRS 390 clears the French cut-off of 382 by 8 points." in message.text  # packaged template
    assert "<p>" in message.html


def test_operator_html_template_is_autoescaped(tmp_path: Path) -> None:
    (tmp_path / "alert.html.j2").write_text("<p>Hi {{ subscriber_name }}</p>\n")
    message = Renderer(tmp_path).render_alert(make_ctx(390, "clear", subscriber_name="<script>"))
    assert message.html == "<p>Hi &lt;script&gt;</p>\n"


@pytest.mark.parametrize(
    ("name", "source", "line", "fragment"),
    [
        pytest.param(
            "alert.txt.j2",
            "Hello\n{{ subscriber_name }}\n{{ nope }}\n",
            3,
            "'nope' is undefined",
            id="undefined",
        ),
        pytest.param(
            "alert.html.j2",
            "<p>{{ round.numbr }}</p>\n",
            1,
            "has no attribute 'numbr'",
            id="undefined-attribute",
        ),
        pytest.param("alert_subject.txt.j2", "Round\n{% if x %}\n", 2, "", id="syntax-error"),
        pytest.param("alert.txt.j2", "a\n\n{{ round.__class__ }}\n", 3, "", id="sandbox-blocks-dunder"),
        pytest.param("alert.txt.j2", "{{ subscriber_crs|long_date }}\n", 1, "", id="filter-raises"),
    ],
)
def test_template_problem_names_file_and_line(
    tmp_path: Path, name: str, source: str, line: int, fragment: str
) -> None:
    (tmp_path / name).write_text(source)
    with pytest.raises(TemplateProblem) as info:
        Renderer(tmp_path).render_alert(make_ctx(390, "clear"))
    problem = info.value
    assert isinstance(problem, ValueError)
    assert problem.lineno == line
    assert problem.template == str(tmp_path / name)
    assert f"template {name} ({tmp_path / name}), line {line}: " in str(problem)
    assert fragment in str(problem)


def test_missing_templates_dir(tmp_path: Path) -> None:
    with pytest.raises(TemplateProblem, match="does not exist"):
        Renderer(tmp_path / "missing")


@pytest.mark.parametrize(
    ("source", "cap"),
    [
        pytest.param("{% for i in range(10000) %}xxxxxxxxxx{% endfor %}", 64 * 1024, id="operator-loop"),
        pytest.param(None, 200, id="small-cap-on-packaged-template"),
    ],
)
def test_output_is_capped(tmp_path: Path, source: str | None, cap: int) -> None:
    if source is not None:
        (tmp_path / "alert.txt.j2").write_text(source)
    renderer = Renderer(tmp_path, max_output_bytes=cap)
    with pytest.raises(TemplateProblem, match=f"output exceeds {cap} bytes") as info:
        renderer.render_alert(make_ctx(390, "clear"))
    assert "alert" in str(info.value)


def test_default_cap_leaves_room_for_real_alerts(renderer: Renderer) -> None:
    long_name = "x" * 2000
    message = renderer.render_alert(make_ctx(390, "clear", subscriber_name=long_name))
    assert long_name in message.text


# ------------------------------------------------------------------------------------------- short form

NEXT_STEP = "If invited, submit your application by October 18, 2026."

SHORT_CASES = [
    pytest.param(
        make_ctx(390, "clear"),
        f"You qualify: round #437 French, cut-off 382 (you 390).\n\n{NEXT_STEP}\n\n{URL_437}",
        id="above-cutoff",
    ),
    pytest.param(
        make_ctx(383, "clear"),
        f"You qualify: round #437 French, cut-off 382 (you 383).\n\n{NEXT_STEP}\n\n{URL_437}",
        id="one-point-above",
    ),
    pytest.param(
        make_ctx(382, "tie_unknown"),
        "Tie-break decides: round #437 French, you tie cut-off 382.\n\n"
        f"Invited only if you submitted your profile before {TIE_TEXT}.\n\n{NEXT_STEP}\n\n{URL_437}",
        id="tie-unknown",
    ),
    pytest.param(
        make_ctx(382, "tie_unknown", make_round(tie_break=None, tie_break_raw="")),
        "Tie-break decides: round #437 French, you tie cut-off 382.\n\n"
        f"Invited or not depends on the tie-break time (not published).\n\n{NEXT_STEP}\n\n{URL_437}",
        id="tie-unknown-no-tie-break",
    ),
    pytest.param(
        make_ctx(382, "tie_invited"),
        "Tie-break favours you: round #437 French, you tie cut-off 382.\n\n"
        f"You submitted before the tie-break time: you should have been invited.\n\n{NEXT_STEP}\n\n{URL_437}",
        id="tie-invited",
    ),
    pytest.param(
        make_ctx(390, "clear", make_round(category="physicians", category_label="Physicians")),
        "You qualify: round #437 Physicians, cut-off 382 (you 390).\n\n"
        f"Only for candidates with Canadian work experience.\n\n{NEXT_STEP}\n\n{URL_437}",
        id="canadian-experience",
    ),
    pytest.param(
        make_ctx(390, "clear", unsubscribe_hint="Reply STOP to stop these alerts."),
        f"You qualify: round #437 French, cut-off 382 (you 390).\n\n{NEXT_STEP}\n\n{URL_437}\n\n"
        "Reply STOP to stop these alerts.",
        id="unsubscribe-hint-last",
    ),
]


@pytest.mark.parametrize(("ctx", "short"), SHORT_CASES)
def test_short_form(renderer: Renderer, ctx: AlertContext, short: str) -> None:
    message = renderer.render_alert(ctx)
    assert message.short == short
    assert len([line for line in message.short.splitlines() if line]) <= 5
    assert message.short.count(URL_437) == 1


def test_short_template_documents_its_names() -> None:
    """Operators copy the packaged file: its header comment names everything the template may use."""
    source = (Path(__file__).parents[2] / "drawwatch/templates/alert_short.txt.j2").read_text()
    header = source.split("-#}", 1)[0]
    for name in alert_names():
        assert name in header, name
    for name in ("alert_subject.txt.j2", "alert.txt.j2", "alert.html.j2", "DRAWWATCH_TEMPLATES_DIR"):
        assert name in header


def alert_names() -> list[str]:
    from drawwatch.notify.render import FILTERS, alert_template_context

    return [n for n in alert_template_context(make_ctx()) if n != "alert"] + list(FILTERS)


@pytest.mark.parametrize(
    ("source", "short"),
    [
        pytest.param(
            "#{{ round.number }}\n  {{ round.category_label }}   {{ round.crs }}\n\n\n{{ round.url }}\n",
            f"#437 French 382\n\n{URL_437}",
            id="paragraphs-become-lines",
        ),
        pytest.param("{# nothing #}\n  \n", None, id="empty-means-none"),
    ],
)
def test_operator_short_template(tmp_path: Path, source: str, short: str | None) -> None:
    (tmp_path / "alert_short.txt.j2").write_text(source)
    message = Renderer(tmp_path).render_alert(make_ctx(390, "clear"))
    assert message.short == short
    assert "Your CRS 390 clears the French cut-off of 382 by 8 points." in message.text  # the others packaged


def test_short_template_problem_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "alert_short.txt.j2").write_text("#{{ round.number }}\n{{ round.nope }}\n")
    with pytest.raises(TemplateProblem, match=r"template alert_short.txt.j2 \(.*\), line 2: ") as info:
        Renderer(tmp_path).render_alert(make_ctx(390, "clear"))
    assert info.value.lineno == 2


@pytest.mark.parametrize("with_short", [True, False], ids=["four-templates", "no-short-template"])
def test_render_message_for_another_kind(tmp_path: Path, with_short: bool) -> None:
    """Another message kind is a prefix and its templates; without a short one, ``short`` is None."""
    (tmp_path / "note_subject.txt.j2").write_text("Round\n#{{ number }}   changed\n")
    (tmp_path / "note.txt.j2").write_text("Round #{{ number }} changed.\n\n\n\nSee {{ url }}   \n")
    (tmp_path / "note.html.j2").write_text("<p>Round #{{ number }} {{ what }}</p>\n\n")
    if with_short:
        (tmp_path / "note_short.txt.j2").write_text("#{{ number }} changed:\n{{ url }}\n")
    context = {"number": "437", "url": URL_437, "what": "<changed>"}
    message = Renderer(tmp_path).render_message("note", context)
    assert message == RenderedMessage(
        subject="Round #437 changed",
        text=f"Round #437 changed.\n\nSee {URL_437}\n",
        html="<p>Round #437 &lt;changed&gt;</p>\n",
        short=f"#437 changed: {URL_437}" if with_short else None,
    )


def test_render_message_needs_the_three_others(tmp_path: Path) -> None:
    (tmp_path / "note_short.txt.j2").write_text("short\n")
    with pytest.raises(TemplateProblem, match=r"'note_subject\.txt\.j2' not found"):
        Renderer(tmp_path).render_message("note", {})


# The sandbox keeps its verdict on an attribute per (type, name): each expression is rendered twice in one
# environment, so the second render reads the kept verdict; a name safe on one type stays unsafe on another.
SANDBOX_VERDICTS = [
    ("{{ round.crs }}", True),
    ("{{ round.__class__ }}", False),
    ("{{ 'abc'.upper() }}", True),
    ("{{ [1, 2].pop() }}", False),  # a list is mutable: pop is refused, though str.upper was allowed
    ("{{ {'a': 1}.items()|list|length }}", True),
    ("{{ {'a': 1}.update({'b': 2}) }}", False),
    ("{{ round.number.__len__() }}", False),
]


def test_the_sandbox_verdicts_hold_when_kept() -> None:
    env = Renderer().environment("en")
    context = alert_template_context(make_ctx(390, "clear"))
    for _ in range(2):
        for source, safe in SANDBOX_VERDICTS:
            template = env.from_string(source)
            if safe:
                assert template.render(context), source
            else:
                with pytest.raises(jinja2.exceptions.SecurityError):
                    template.render(context)
