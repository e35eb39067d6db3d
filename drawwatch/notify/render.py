"""Turns an :class:`AlertContext` into subject, text, HTML and a short form through Jinja2 templates.

A message kind is a prefix and four templates: ``{prefix}_subject.txt.j2``, ``{prefix}.txt.j2``,
``{prefix}.html.j2`` and ``{prefix}_short.txt.j2`` (:meth:`Renderer.render_message`); alerts are ``alert``.
Operators may override any template by dropping a file of the same name into their templates directory.
Those files are edited by people who are not drawwatch developers, so they run in Jinja2's immutable
sandbox, bounded in steps, time and memory (:mod:`drawwatch.notify.sandbox`: a loop that never ends or a
``{{ 'a'*400000000 }}`` fails that one render in well under two seconds), with ``StrictUndefined`` (a typo is
an error, not a silently empty alert) and a cap on the output size; every template failure surfaces as
:class:`TemplateProblem` naming the file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, cast

import jinja2
from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

from drawwatch.domain.categories import CATEGORY_SHORT_LABELS
from drawwatch.domain.errors import ConfigError
from drawwatch.domain.vocabulary import Tie
from drawwatch.notify.message import APPLICATION_DAYS, AlertContext, RenderedMessage
from drawwatch.notify.sandbox import BoundedSandbox, RenderLimits

DEFAULT_MAX_OUTPUT_BYTES: Final = 64 * 1024

ALERT_PREFIX: Final = "alert"
SUBJECT_TEMPLATE: Final = "alert_subject.txt.j2"
TEXT_TEMPLATE: Final = "alert.txt.j2"
HTML_TEMPLATE: Final = "alert.html.j2"
SHORT_TEMPLATE: Final = "alert_short.txt.j2"

# The verdict an alert's subject starts with, per tie value (domain.vocabulary.TIE_VALUES).
ALERT_VERDICTS: Final[Mapping[Tie, str]] = {
    "clear": "You qualify",
    "tie_invited": "Tie-break favours you",
    "tie_unknown": "Tie-break decides",
}


def category_short(key: str) -> str:
    """The short name of a category key for subject lines (the key itself when unknown)."""
    return CATEGORY_SHORT_LABELS.get(key, key)


_PACKAGE_TEMPLATES: Final = Path(__file__).resolve().parent.parent / "templates"

# Month names spelled out here: strftime("%B") follows the process locale, and alerts are in English.
_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class TemplateProblem(ConfigError):
    """A template could not be loaded or rendered; the message names the file and line when known."""

    def __init__(self, message: str, *, template: str | None = None, lineno: int | None = None) -> None:
        super().__init__(message)
        self.template = template
        self.lineno = lineno


# ------------------------------------------------------------------------------------------------- filters


def thousands(value: int) -> str:
    """``1500`` -> ``"1,500"`` (IRCC writes invitation counts this way)."""
    return f"{int(value):,}"


def long_date(value: date) -> str:
    """``date(2026, 8, 19)`` -> ``"August 19, 2026"``, independent of the process locale."""
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def utc_time(value: datetime) -> str:
    """An aware datetime as IRCC writes tie-break times: ``"March 1, 2026 at 18:34:05 UTC"``."""
    if value.tzinfo is None:
        raise ValueError("utc filter needs a timezone-aware datetime")
    value = value.astimezone(UTC)
    return f"{long_date(value.date())} at {value:%H:%M:%S} UTC"


def points(value: int) -> str:
    """``1`` -> ``"1 point"``, ``8`` -> ``"8 points"``."""
    return f"{value} point" if abs(value) == 1 else f"{value} points"


FILTERS: Final[Mapping[str, Any]] = {
    "thousands": thousands,
    "long_date": long_date,
    "utc": utc_time,
    "points": points,
}


# ------------------------------------------------------------------------------------------------ renderer


class Renderer:
    """Renders alerts from drawwatch's templates, each overridable from ``templates_dir``.

    Each render is held to ``limits`` (:class:`~drawwatch.notify.sandbox.RenderLimits`; the defaults fit
    alerts) and its output to ``max_output_bytes``.
    """

    def __init__(
        self,
        templates_dir: str | os.PathLike[str] | None = None,
        *,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
        limits: RenderLimits | None = None,
    ) -> None:
        loaders: list[jinja2.BaseLoader] = []
        self._search_dirs: list[Path] = []
        if templates_dir is not None:
            operator_dir = Path(templates_dir)
            if not operator_dir.is_dir():
                raise TemplateProblem(
                    f"templates directory {operator_dir} does not exist or is not a directory"
                )
            loaders.append(FileSystemLoader(operator_dir))
            self._search_dirs.append(operator_dir.resolve())
        loaders.append(PackageLoader("drawwatch", "templates"))
        self._search_dirs.append(_PACKAGE_TEMPLATES)
        self.max_output_bytes = max_output_bytes
        self.env = BoundedSandbox(
            limits=limits,
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=select_autoescape(
                enabled_extensions=("html", "html.j2", "xml"), default_for_string=False
            ),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters.update(FILTERS)

    def render(self, template_name: str, context: Mapping[str, Any]) -> str:
        """Render one template; any failure becomes a :class:`TemplateProblem` naming file and line."""
        try:
            template = self.env.get_template(template_name)
        except jinja2.TemplateSyntaxError as exc:
            raise self._problem(exc, exc.filename or exc.name or template_name, exc.lineno) from exc
        except jinja2.TemplateNotFound as exc:
            # Jinja types the name ``str | Undefined | None``; a loader raises it with the name it was asked for.
            name = exc.name if isinstance(exc.name, str) else None
            raise TemplateProblem(f"template {exc.name!r} not found", template=name) from exc
        size = 0
        chunks: list[str] = []
        # Closed here, not whenever it is collected: the render's budget ends with it (notify.sandbox).
        stream = cast("Generator[str, None, None]", template.generate(context))  # a generator, typed Iterator
        try:
            for chunk in stream:
                size += len(chunk.encode("utf-8"))
                if size > self.max_output_bytes:
                    raise TemplateProblem(
                        f"template {self._describe(template.filename or template_name)}: output exceeds "
                        f"{self.max_output_bytes} bytes; the template probably loops or repeats too much",
                        template=template.filename or template_name,
                    )
                chunks.append(chunk)
        except TemplateProblem:
            raise
        except jinja2.TemplateSyntaxError as exc:  # an {% include %} of a broken file
            raise self._problem(exc, exc.filename or exc.name or template_name, exc.lineno) from exc
        except Exception as exc:  # undefined names, sandbox violations, errors raised inside filters
            filename, lineno = _template_location(exc.__traceback__)
            raise self._problem(exc, filename or template.filename or template_name, lineno) from exc
        finally:
            stream.close()
        return "".join(chunks)

    def render_message(self, prefix: str, context: Mapping[str, Any]) -> RenderedMessage:
        """Subject (one line), plain text, HTML and short form of one message kind.

        The templates are ``{prefix}_subject.txt.j2``, ``{prefix}.txt.j2``, ``{prefix}.html.j2`` and
        ``{prefix}_short.txt.j2``. The short one is optional: without it (or when it renders empty)
        ``short`` is None. In the short form each paragraph (text between blank lines) becomes one line with
        its whitespace collapsed, so a template can wrap long lines freely.
        """
        subject = " ".join(self.render(f"{prefix}_subject.txt.j2", context).split())
        text = _tidy_text(self.render(f"{prefix}.txt.j2", context))
        html = self.render(f"{prefix}.html.j2", context).strip() + "\n"
        short = self._render_optional(f"{prefix}_short.txt.j2", context)
        return RenderedMessage(
            subject=subject, text=text, html=html, short=None if short is None else _tidy_short(short)
        )

    def render_alert(self, ctx: AlertContext) -> RenderedMessage:
        """Subject (one line), plain text, HTML and short form for one subscriber's alert."""
        return self.render_message(ALERT_PREFIX, alert_template_context(ctx))

    # ---------------------------------------------------------------------------------------- internals

    def _render_optional(self, template_name: str, context: Mapping[str, Any]) -> str | None:
        """:meth:`render`, or None when no template of that name exists (packaged or operator's)."""
        try:
            self.env.get_template(template_name)
        except jinja2.TemplateNotFound:  # only ``template_name`` itself: includes load when rendering
            return None
        except jinja2.TemplateError:  # a syntax error: render() reports it with file and line
            pass
        return self.render(template_name, context)

    def _describe(self, filename: str) -> str:
        """``alert.txt.j2 (/path/alert.txt.j2)``: the name to override and where it was read from."""
        path = Path(filename)
        for base in self._search_dirs:
            try:
                return f"{path.resolve().relative_to(base).as_posix()} ({filename})"
            except (ValueError, OSError):
                continue
        return filename

    def _problem(self, exc: BaseException, filename: str, lineno: int | None) -> TemplateProblem:
        where = self._describe(filename) + (f", line {lineno}" if lineno else "")
        if isinstance(exc, RecursionError):  # Python's own words name no template construct
            message = (
                "the template calls itself too deeply (a macro, include or recursive loop that never ends)"
            )
        else:
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return TemplateProblem(f"template {where}: {message}", template=filename, lineno=lineno)


def alert_template_context(ctx: AlertContext) -> dict[str, Any]:
    """The names the alert templates see (documented in each template's header comment)."""
    return {
        "alert": ctx,
        "round": ctx.round,
        "subscriber_name": ctx.subscriber_name,
        "subscriber_crs": ctx.subscriber_crs,
        "margin": ctx.margin,
        "tie": ctx.tie,
        "qualifying_occupation": ctx.qualifying_occupation,
        "unsubscribe_hint": ctx.unsubscribe_hint,
        "verdict": ALERT_VERDICTS[ctx.tie],
        "category_short": category_short(ctx.round.category),
        "canadian_experience": ctx.round.canadian_experience,
        "apply_by": ctx.round.apply_by,
        "apply_days": APPLICATION_DAYS,
        "submitted_at": ctx.submitted_at,
        "submitted_at_tie_break": ctx.submitted_at_tie_break,
    }


def _template_location(tb: TracebackType | None) -> tuple[str | None, int | None]:
    """File and line of the innermost template frame: Jinja2 rewrites tracebacks to point at templates."""
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _tidy_short(text: str) -> str | None:
    """One line per paragraph (blank-line separated), whitespace collapsed, a blank line between two lines;
    None when nothing is left."""
    paragraphs = (" ".join(block.split()) for block in re.split(r"\n[ \t\r\f\v]*\n", text))
    lines = [line for line in paragraphs if line]
    return "\n\n".join(lines) or None


def _tidy_text(text: str) -> str:
    """Strip trailing spaces and collapse runs of blank lines left by optional sections."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if not line and tidy and not tidy[-1]:
            continue
        tidy.append(line)
    return "\n".join(tidy) + "\n"
