"""Operator templates that would never end or would fill memory fail that render, quickly and small.

Each bomb renders in its own child process (an address-space limit of 1 GB there, so a regression fails the
test instead of the machine), which reports the error, the render's wall time and its peak memory (VmHWM).
The end-to-end test sends through the real ``drawwatch deliver``: the bombed alerts fail naming the template,
the process ends, and another subscriber's alert goes out.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drawwatch.notify.render import Renderer, TemplateProblem
from drawwatch.notify.sandbox import RenderLimits
from tests.e2e.stack import Stack, stack
from tests.support.commands import ROOT, clean_env
from tests.support.databases import SQLITE_ONLY
from tests.support.feeds import feed_bytes
from tests.support.messages import make_ctx

PEAK_MEMORY_MB = 100  # the child's whole peak, interpreter and imports included (about 30 MB of it)
RENDER_SECONDS = 2.0  # the render alone; its own deadline is 0.5 s, plus at most one filter's work
TOO_MUCH = r"more than 100,000 loop iterations and calls|rendering took longer than 0.5 s"
TOO_BIG = r"would be [\d,]+ characters long|created more than 4,000,000 characters"

# (id, alert.txt.j2, what the error says)
BOMBS = [
    ("string-multiply", "{{ 'a'*400000000 }}", r"the result of \* would be 400,000,000 characters"),
    ("string-multiply-in-steps", "{% set a = 'a'*200000 %}{{ a*2000 }}", r"the result of \*"),
    ("list-multiply", "{{ [0]*400000000 }}", r"the result of \* would be 400,000,000 items"),
    (
        "list-of-big-strings",
        "{{ ['x'*100000]*10000 }}",
        r"the result of \* would be about [\d,]+ characters long as text",
    ),
    ("power", "{{ 2**400000000 }}", r"the result of \*\* would be a number of about 400,000,000 bits"),
    (
        "squaring-loop",
        "{% set ns = namespace(n=3) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
        r"the result of \* would be a number",
    ),
    ("range-huge", "{{ range(400000000)|list }}", r"range\(\) of 400,000,000 numbers is over the limit"),
    (
        "nested-loops-of-the-issue",
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        r"range\(\) of 100,000 numbers",
    ),
    (
        "nested-loops",
        "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
        TOO_MUCH,
    ),
    (
        "nested-loops-over-strings",
        "{% set s = 'a'*200000 %}{% for c in s %}{% for d in s %}{% endfor %}{% endfor %}",
        TOO_MUCH,
    ),
    (
        "loop-cycle",
        "{% for a in range(10000) %}{% for b in range(10000) %}{{ loop.cycle('', '') }}{% endfor %}{% endfor %}",
        TOO_MUCH,
    ),
    ("macro-recursion", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", r"calls itself too deeply"),
    (
        "macro-binary-recursion",
        "{% macro m(n) %}{% if n %}{{ m(n-1) }}{{ m(n-1) }}{% endif %}{% endmacro %}{{ m(40) }}",
        TOO_MUCH,
    ),
    (
        "macro-doubling-a-string",
        "{% macro d(s, n) %}{{ d(s ~ s, n - 1) if n else s }}{% endmacro %}{{ d('x', 40) }}",
        r"the result of ~ would be",
    ),
    (
        "namespace-doubling-a-string",
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        r"the result of ~ would be",
    ),
    (
        "include-itself-twice",
        "{% include 'alert.txt.j2' %}{% include 'alert.txt.j2' %}",
        r"calls itself too deeply|" + TOO_MUCH,
    ),
    (
        "recursive-loop",
        "{% for x in [1] recursive %}{{ loop([1, 2]) }}{% endfor %}",
        r"calls itself too deeply",
    ),
    (
        "recursive-loop-wide",
        "{% for x in range(10) recursive %}{% if loop.depth < 12 %}{{ loop(range(10)) }}{% endif %}{% endfor %}",
        TOO_MUCH,
    ),
    ("format-width", "{{ '{:>400000000}'.format(1) }}", r"a width or precision in a format 400,000,000"),
    ("format-precision", "{{ '{:.400000000f}'.format(1.0) }}", r"a width or precision in a format"),
    ("format-nested-width", "{{ '{0:{1}}'.format(1, 400000000) }}", r"a width or precision in a format"),
    ("format-field-reuse", "{{ ('{0}'*10000).format('x'*10000) }}", r"the result of format\(\) would be"),
    ("percent-width", "{{ '%400000000s' % 'a' }}", r"the width of a % format 400,000,000"),
    ("percent-star-width", "{{ '%*d' % (400000000, 1) }}", r"'\*' width or precision"),
    ("percent-key-reuse", "{{ ('%(a)s'*10000) % {'a': 'x'*10000} }}", r"the result of % would be"),
    ("format-filter-width", "{{ '%-400000000s'|format('a') }}", r"the width of a % format"),
    ("center-filter", "{{ 'a'|center(400000000) }}", r"the result of center would be 400,000,000"),
    ("center-method", "{{ 'a'.center(400000000) }}", r"the result of center\(\) would be 400,000,000"),
    ("zfill-method", "{{ '1'.zfill(400000000) }}", r"the result of zfill\(\)"),
    ("expandtabs-method", "{{ ('\\t'*100000).expandtabs(1000) }}", r"the result of expandtabs\(\)"),
    ("replace-method", "{{ ('a'*100000).replace('a', 'a'*10000) }}", r"the result of replace\(\)"),
    ("replace-filter", "{{ ('a'*100000)|replace('a', 'a'*10000) }}", r"the result of replace\(\) would be"),
    ("translate-method", "{{ ('a'*100000).translate({97: 'b'*1000}) }}", r"the result of translate\(\)"),
    ("join-filter-of-a-huge-range", "{{ range(10000)|join('x'*100000) }}", r"the result of join would be"),
    (
        "join-method",
        "{{ ('x'*100000).join(range(10000)|map('string')) }}",
        r"the result of join\(\) would be",
    ),
    ("indent-filter", "{{ ('\\n'*100000)|indent(1000) }}", r"the result of indent would be"),
    ("wordwrap-long-word", "{{ ('a'*100000)|wordwrap(1) }}", r"wordwrap of a 100,000-character word"),
    (
        "wordwrap-wrapstring",
        "{{ ('a '*100000)|wordwrap(1, wrapstring='x'*1000) }}",
        r"the result of wordwrap would be",
    ),
    ("batch-filling", "{{ [1]|batch(400000000, 'x')|list }}", r"batch's line count"),
    ("slice-count", "{{ [1]|slice(400000000)|list }}", r"slice of 400,000,000 slices"),
    ("sum-of-lists", "{{ ([[1]*100]*500)|sum(start=[])|length }}", r"created more than 4,000,000"),
    ("tojson-indent", "{{ [[[[1]]]]|tojson(indent=400000000) }}", r"tojson's indent"),
    ("map-center", "{{ range(10000)|map('center', 200000)|list|length }}", r"created more than 4,000,000"),
    ("lipsum", "{{ lipsum(1000000) }}", r"lipsum\(\) would be"),
    (
        "dict-doubling",
        "{% set d = {'a': 'x'*100000} %}{% set d = dict(a=d, b=d) %}{{ d }}",
        r"a call's result would be longer than 262,144 characters as text",
    ),
    (
        "list-literal-doubling",
        "{% set y = ['x'*200000] %}{% set y = [y, y] %}{% set y = [y, y] %}{{ y }}",
        r"a list, tuple or dict would be longer than 262,144 characters",
    ),
    (
        "namespace-grown-after-it-was-listed",
        "{% set ns = namespace(x='') %}{% set x = [ns] %}{% set ns.x = 'x'*100000 %}{{ [x, x, x] }}",
        r"a list, tuple or dict would be longer than 262,144 characters",
    ),
    ("bytes-percent-width", "{{ '%400000000d'.encode() % 1 }}", r"the width of a % format 400,000,000"),
    ("bytes-multiply", "{{ 'a'.encode() * 400000000 }}", r"the result of \* would be 400,000,000"),
    (
        "output-of-a-long-list",
        "{% set y = ('x'*100000)|list %}{{ y }}",
        r"an output value would be longer than 262,144 characters",
    ),
    (
        "set-block",
        "{% set s %}{% for i in range(10000) %}{{ 'x'*200000 }}{% endfor %}{% endset %}",
        TOO_BIG,
    ),
    (
        "caller-block",
        "{% macro m() %}{% for i in range(10000) %}{{ caller() }}{% endfor %}{% endmacro %}"
        "{% set x = 'x'*200000 %}{% call m() %}{{ x }}{% endcall %}",
        TOO_BIG,
    ),
    (
        "filter-block",
        "{% set x = 'x'*200000 %}{% filter upper %}{% for i in range(10000) %}{{ x }}{% endfor %}{% endfilter %}",
        TOO_BIG,
    ),
]

# Runs in the child: render the alert once from the template directory in argv[1], report as JSON.
CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from drawwatch.notify.render import Renderer, TemplateProblem
from tests.support.messages import make_ctx
renderer, ctx = Renderer(sys.argv[1]), make_ctx(390, "clear")
started = time.monotonic()
try:
    renderer.render_alert(ctx)
    error = None
except TemplateProblem as exc:
    error = str(exc)
seconds = time.monotonic() - started
status = open("/proc/self/status").read()
peak_kb = int(status.split("VmHWM:")[1].split()[0])
print(json.dumps({"error": error, "seconds": seconds, "peak_mb": peak_kb / 1024}))
"""

__all__ = ["stack"]  # the end-to-end fixture (tests/e2e/stack.py), used here


@pytest.mark.slow
@pytest.mark.parametrize(("source", "says"), [pytest.param(s, m, id=i) for i, s, m in BOMBS])
def test_a_template_bomb_fails_fast_and_small(tmp_path: Path, source: str, says: str) -> None:
    (tmp_path / "alert.txt.j2").write_text(source)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        env=clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout)
    assert result["error"] is not None, "the bomb rendered"
    assert result["error"].startswith(f"template alert.txt.j2 ({tmp_path / 'alert.txt.j2'}), line 1: ")
    assert re.search(says, result["error"]), result["error"]
    assert result["seconds"] < RENDER_SECONDS, result
    assert result["peak_mb"] < PEAK_MEMORY_MB, result


ORDINARY = [
    ("loop-with-joins", "{% for i in range(1000) %}{{ [i, i + 1]|join('-') }} {% endfor %}", "998-999"),
    (
        "format-and-percent",
        "[{{ '{:>8}|{:.2f}'.format(subscriber_crs, 1.5) }}] {{ '%05d' % 42 }}",
        "[     390|1.50] 00042",
    ),
    ("center-and-wordwrap", "[{{ 'ab'|center(6) }}] {{ ('a b c ' * 100)|wordwrap(20)|length }}", "[  ab  ]"),
    ("string-multiply", "{{ '=' * 40 }} {{ ('x' ~ round.number) * 3 }}", "x437x437x437"),
    ("power-and-range", "{{ 2 ** 64 }} {{ range(5)|list }}", "18446744073709551616 [0, 1, 2, 3, 4]"),
    (
        "macro-recursion-that-ends",
        "{% macro f(n) %}{{ n }}{{ f(n - 1) if n }}{% endmacro %}{{ f(50) }}",
        "50494847",
    ),
]


@pytest.mark.parametrize(("source", "shows"), [pytest.param(s, x, id=i) for i, s, x in ORDINARY])
def test_ordinary_templates_still_render(tmp_path: Path, source: str, shows: str) -> None:
    (tmp_path / "alert.txt.j2").write_text(source + "\n")
    assert shows in Renderer(tmp_path).render_alert(make_ctx(390, "clear")).text


def test_each_render_has_its_own_budget(tmp_path: Path) -> None:
    """600 steps a render, 1,000 allowed: a budget shared or left over from an earlier render would fail."""
    (tmp_path / "alert.txt.j2").write_text("{% for i in range(600) %}{% endfor %}done\n")
    (tmp_path / "alert_subject.txt.j2").write_text("{{ 'a' * 400000000 }}")
    renderer = Renderer(tmp_path, limits=RenderLimits(max_steps=1_000, max_seconds=60))
    for _ in range(3):
        assert renderer.render("alert.txt.j2", {}) == "done"
        with pytest.raises(TemplateProblem, match=r"the result of \* would be 400,000,000 characters"):
            renderer.render("alert_subject.txt.j2", {})
    (tmp_path / "alert_short.txt.j2").write_text("{% for i in range(1001) %}{% endfor %}")
    with pytest.raises(TemplateProblem, match="more than 1,000 loop iterations and calls"):
        renderer.render("alert_short.txt.j2", {})


BOMB_ALERT = """{% if subscriber_name == 'Loops' %}
{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}
{% elif subscriber_name == 'Big' %}
{{ 'a' * 400000000 }}
{% else %}
Round {{ round.number }} for {{ subscriber_name }}: cut-off {{ round.crs }}.
{% endif %}
"""


@pytest.mark.slow
@SQLITE_ONLY
def test_deliver_fails_the_bombed_alerts_and_sends_the_others(stack: Stack, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "alert.txt.j2").write_text(BOMB_ALERT)
    env = {"DRAWWATCH_TEMPLATES_DIR": str(templates), "DRAWWATCH_DELIVERY_MAX_ATTEMPTS": "1"}
    stack.feed.serve(feed_bytes(434))
    assert stack.run("check", **env).code == 0  # the history: no alerts
    for name in ("Loops", "Big", "Ok"):
        stack.add(name, 390, "--category", "french", "--url", stack.hook.url(f"/{name.lower()}"))
    stack.feed.serve(feed_bytes(437))
    assert stack.run("check", "--no-deliver", **env).code == 0

    started = time.monotonic()
    run = stack.run("deliver", "--json", **env)
    seconds = time.monotonic() - started
    assert run.code == 0, run.stderr
    summary = run.json()
    assert (summary["sent"], summary["failed"] + summary["dead"]) == (1, 2), summary
    assert seconds < 30, seconds  # start-up and three sends; the bombs take under a second each

    (body,) = stack.hook.wait_for(1)
    assert "Round 437 for Ok: cut-off 382." in str(body)
    assert [r.path for r in stack.hook.requests.snapshot()] == ["/ok"]

    alerts = {a["subscriber_name"]: a for a in stack.run("alerts", "list", "--json").json()}
    assert {name: a["status"] for name, a in alerts.items()} == {"Loops": "dead", "Big": "dead", "Ok": "sent"}
    where = f"template alert.txt.j2 ({templates / 'alert.txt.j2'}), line "
    loops, big = alerts["Loops"]["last_error"] or "", alerts["Big"]["last_error"] or ""
    assert loops.startswith(where) and re.search(TOO_MUCH, loops), loops
    assert big.startswith(where) and "the result of * would be 400,000,000 characters" in big, big
