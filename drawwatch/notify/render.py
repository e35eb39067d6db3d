"""Turns an :class:`AlertContext` into subject, text, HTML and a short form through Jinja2 templates.

A message kind is a prefix and four templates: ``{prefix}_subject.txt.j2``, ``{prefix}.txt.j2``,
``{prefix}.html.j2`` and ``{prefix}_short.txt.j2`` (:meth:`Renderer.render_message`); alerts are ``alert``.
Operators may override any template by dropping a file of the same name into their templates directory.
Every message is rendered in its subscriber's language: French templates are in ``templates/fr/`` (and an
operator's French overrides in ``fr/`` of their directory), with French formats (:mod:`~drawwatch.notify.phrases`).
Those files are edited by people who are not drawwatch developers, so they run in Jinja2's immutable
sandbox, bounded in steps, time and memory (:mod:`drawwatch.notify.sandbox`: a loop that never ends or a
``{{ 'a'*400000000 }}`` fails that one render in well under two seconds), with ``StrictUndefined`` (a typo is
an error, not a silently empty alert) and a cap on the output size; every template failure surfaces as
:class:`TemplateProblem` naming the file and line.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Generator, Mapping
from dataclasses import replace
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

from drawwatch.domain.categories import category_label, category_short_label
from drawwatch.domain.errors import ConfigError
from drawwatch.domain.vocabulary import Tie
from drawwatch.notify import phrases
from drawwatch.notify.message import APPLICATION_DAYS, AlertContext, RenderedMessage, RoundInfo
from drawwatch.notify.phrases import DEFAULT_LANGUAGE, long_date, points, thousands, utc_time
from drawwatch.notify.sandbox import BoundedSandbox, RenderLimits

__all__ = [
    "ALERT_VERDICTS",
    "ALERT_VERDICTS_FR",
    "DEFAULT_LANGUAGE",
    "FILTERS",
    "Renderer",
    "TemplateProblem",
    "alert_template_context",
    "category_short",
    "localized_round",
    "long_date",
    "points",
    "thousands",
    "utc_time",
]

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
ALERT_VERDICTS_FR: Final[Mapping[Tie, str]] = {
    "clear": "Note suffisante",
    "tie_invited": "Bris d'égalité en votre faveur",
    "tie_unknown": "Le bris d'égalité tranche",
}
_ALERT_VERDICTS: Final[Mapping[str, Mapping[Tie, str]]] = {"en": ALERT_VERDICTS, "fr": ALERT_VERDICTS_FR}


def category_short(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The short name of a category key for subject lines (the key itself when unknown)."""
    return category_short_label(key, phrases.text_language(language))


_PACKAGE_TEMPLATES: Final = Path(__file__).resolve().parent.parent / "templates"


class TemplateProblem(ConfigError):
    """A template could not be loaded or rendered; the message names the file and line when known."""

    def __init__(self, message: str, *, template: str | None = None, lineno: int | None = None) -> None:
        super().__init__(message)
        self.template = template
        self.lineno = lineno


# ------------------------------------------------------------------------------------------------- filters


def _filters(language: str) -> dict[str, Any]:
    """The filters of the templates in ``language``: the same names, that language's formats."""
    formats = phrases.formats(language)
    return {
        "thousands": formats.thousands,
        "long_date": formats.long_date,
        "utc": formats.utc_time,
        "points": formats.points,
    }


FILTERS: Final[Mapping[str, Any]] = _filters(DEFAULT_LANGUAGE)
"""The English templates' filters (each language's templates get its own, :func:`_filters`)."""


# ------------------------------------------------------------------------------------------------ renderer


class Renderer:
    """Renders alerts from drawwatch's templates, each overridable from ``templates_dir``, in each
    subscriber's language.

    Each render is held to ``limits`` (:class:`~drawwatch.notify.sandbox.RenderLimits`; the defaults fit
    alerts) and its output to ``max_output_bytes``.

    Templates in language L are looked up in ``templates_dir/L/``, then (English only) ``templates_dir/``,
    then the package's ``templates/L/``, then its English ``templates/`` as the last resort (a language
    drawwatch has no templates for). Each language has its own sandboxed environment (its filters format
    numbers and dates that language's way), made on its first render and kept: :attr:`env` is English's.
    """

    def __init__(
        self,
        templates_dir: str | os.PathLike[str] | None = None,
        *,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
        limits: RenderLimits | None = None,
    ) -> None:
        self._operator_dir: Path | None = None
        self._search_dirs: list[Path] = []
        if templates_dir is not None:
            operator_dir = Path(templates_dir)
            if not operator_dir.is_dir():
                raise TemplateProblem(
                    f"templates directory {operator_dir} does not exist or is not a directory"
                )
            self._operator_dir = operator_dir
            self._search_dirs.append(operator_dir.resolve())
        self._search_dirs.append(_PACKAGE_TEMPLATES)
        self.max_output_bytes = max_output_bytes
        self._limits = limits
        self._lock = threading.Lock()
        self.env = self._environment(DEFAULT_LANGUAGE)
        self._envs: dict[str, BoundedSandbox] = {DEFAULT_LANGUAGE: self.env}

    def environment(self, language: str | None = DEFAULT_LANGUAGE) -> BoundedSandbox:
        """The environment of ``language`` (normalized: ``"fr-CA"`` is French), made on first use; it reads
        templates as :attr:`env` does (``auto_reload``)."""
        key = phrases.normalize_language(language)
        found = self._envs.get(key)
        if found is None:
            with self._lock:  # renders may run in threads (deliver renders corrections in one)
                found = self._envs.get(key)
                if found is None:
                    found = self._environment(key)
                    found.auto_reload = self.env.auto_reload
                    self._envs[key] = found
        return found

    def _environment(self, language: str) -> BoundedSandbox:
        loaders: list[jinja2.BaseLoader] = []
        if self._operator_dir is not None:
            loaders.append(FileSystemLoader(self._operator_dir / language))
            if language == DEFAULT_LANGUAGE:
                loaders.append(FileSystemLoader(self._operator_dir))
        if language != DEFAULT_LANGUAGE and (_PACKAGE_TEMPLATES / language).is_dir():
            loaders.append(PackageLoader("drawwatch", f"templates/{language}"))
        loaders.append(PackageLoader("drawwatch", "templates"))
        env = BoundedSandbox(
            limits=self._limits,
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=select_autoescape(
                enabled_extensions=("html", "html.j2", "xml"), default_for_string=False
            ),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        env.filters.update(_filters(language))
        return env

    def render(
        self, template_name: str, context: Mapping[str, Any], *, language: str | None = DEFAULT_LANGUAGE
    ) -> str:
        """Render one template in ``language``; any failure becomes a :class:`TemplateProblem` naming file
        and line."""
        try:
            template = self.environment(language).get_template(template_name)
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

    def render_message(
        self,
        prefix: str,
        context: Mapping[str, Any],
        *,
        language: str | None = DEFAULT_LANGUAGE,
        lazy: bool = False,
    ) -> RenderedMessage:
        """Subject (one line), plain text, HTML and short form of one message kind, in ``language``
        ("en" or "fr": the templates of that language, and its number and date formats; the context is used
        as given, so its own words must already be in that language).

        The templates are ``{prefix}_subject.txt.j2``, ``{prefix}.txt.j2``, ``{prefix}.html.j2`` and
        ``{prefix}_short.txt.j2``. The short one is optional: without it (or when it renders empty)
        ``short`` is None. In the short form each paragraph (text between blank lines) becomes one line with
        its whitespace collapsed, so a template can wrap long lines freely.

        ``lazy``: the HTML and the short form are rendered when first read (the delivery loop: most channels
        read neither), and a failure of theirs is raised there; the subject and the text always at once.
        """
        # English collapses any whitespace, as it always has; other languages keep their no-break spaces.
        words = _words if phrases.normalize_language(language) == DEFAULT_LANGUAGE else _ascii_words
        subject = " ".join(words(self.render(f"{prefix}_subject.txt.j2", context, language=language)))
        text = _tidy_text(self.render(f"{prefix}.txt.j2", context, language=language))

        def html() -> str:
            return self.render(f"{prefix}.html.j2", context, language=language).strip() + "\n"

        def short() -> str | None:
            found = self._render_optional(f"{prefix}_short.txt.j2", context, language)
            return None if found is None else _tidy_short(found, words)

        if lazy:
            return RenderedMessage(subject=subject, text=text, html=html, short=short)
        return RenderedMessage(subject=subject, text=text, html=html(), short=short())

    def render_alert(
        self, ctx: AlertContext, *, language: str | None = DEFAULT_LANGUAGE, lazy: bool = False
    ) -> RenderedMessage:
        """Subject (one line), plain text, HTML and short form for one subscriber's alert, in ``language``
        (the subscriber's: "en" or "fr"). The context may hold English words (the category label, score
        notes, the unsubscribe line as ``deliver`` writes them): they are put in ``language`` here.
        ``lazy`` as in :meth:`render_message`."""
        return self.render_message(
            ALERT_PREFIX, alert_template_context(ctx, language), language=language, lazy=lazy
        )

    # ---------------------------------------------------------------------------------------- internals

    def _render_optional(
        self, template_name: str, context: Mapping[str, Any], language: str | None
    ) -> str | None:
        """:meth:`render`, or None when no template of that name exists (packaged or operator's)."""
        try:
            self.environment(language).get_template(template_name)
        except jinja2.TemplateNotFound:  # only ``template_name`` itself: includes load when rendering
            return None
        except jinja2.TemplateError:  # a syntax error: render() reports it with file and line
            pass
        return self.render(template_name, context, language=language)

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


def localized_round(info: RoundInfo, language: str | None) -> RoundInfo:
    """``info`` with its category label in ``language`` (unchanged for English: deliver's label stands)."""
    text = phrases.text_language(language)
    if text == DEFAULT_LANGUAGE:
        return info
    return replace(info, category_label=category_label(info.category, text))


def alert_template_context(ctx: AlertContext, language: str | None = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The names the alert templates see (documented in each template's header comment), in ``language``:
    for French the round's category label, the score notes and deliver's unsubscribe line are French."""
    text = phrases.text_language(language)
    if text != DEFAULT_LANGUAGE:
        ctx = replace(
            ctx,
            round=localized_round(ctx.round, text),
            unsubscribe_hint=phrases.localize_unsubscribe_hint(ctx.unsubscribe_hint, text),
            score_note=phrases.score_note(ctx.score_note, text),
            score_next=phrases.score_note(ctx.score_next, text),
        )
    return {
        "alert": ctx,
        "round": ctx.round,
        "subscriber_name": ctx.subscriber_name,
        "subscriber_crs": ctx.subscriber_crs,
        "margin": ctx.margin,
        "tie": ctx.tie,
        "qualifying_occupation": ctx.qualifying_occupation,
        "unsubscribe_hint": ctx.unsubscribe_hint,
        "verdict": _ALERT_VERDICTS[text][ctx.tie],
        "category_short": category_short(ctx.round.category, text),
        "canadian_experience": ctx.round.canadian_experience,
        "apply_by": ctx.round.apply_by,
        "apply_days": APPLICATION_DAYS,
        "submitted_at": ctx.submitted_at,
        "submitted_at_tie_break": ctx.submitted_at_tie_break,
        "language": text,
    }


def _template_location(tb: TracebackType | None) -> tuple[str | None, int | None]:
    """File and line of the innermost template frame: Jinja2 rewrites tracebacks to point at templates."""
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _words(text: str) -> list[str]:
    """``text`` split at any whitespace."""
    return text.split()


_ASCII_SPACE: Final = re.compile(r"[ \t\n\r\f\v]+")


def _ascii_words(text: str) -> list[str]:
    """``text`` split at ASCII whitespace only: a no-break space (``1 500``, ``nº 437``, `` :``) stays."""
    return [word for word in _ASCII_SPACE.split(text) if word]


def _tidy_short(text: str, words: Callable[[str], list[str]] = _words) -> str | None:
    """One line per paragraph (blank-line separated), whitespace collapsed (``words`` splits it), a blank
    line between two lines; None when nothing is left."""
    paragraphs = (" ".join(words(block)) for block in re.split(r"\n[ \t\r\f\v]*\n", text))
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
