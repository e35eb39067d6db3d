"""Correction notices: what the notice about a corrected round says to a subscriber who was alerted.

Which changes are material (and so earn a notice) is the domain's rule, :mod:`drawwatch.domain.corrections`;
this module turns each material change into the line a notice shows (a label, the old and the new value, in
the date, time and number formats of the alert), checks one subscriber's notice for consistency, and renders
it through the ``correction*.j2`` templates.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any, Final

from drawwatch.domain.categories import category_label
from drawwatch.domain.corrections import Change
from drawwatch.domain.vocabulary import STANDINGS, Standing
from drawwatch.notify import phrases
from drawwatch.notify.message import APPLICATION_DAYS, RenderedMessage, RoundInfo, submitted_at_tie_break
from drawwatch.notify.render import DEFAULT_LANGUAGE, Renderer, category_short, localized_round

# The label of each of domain.corrections.MATERIAL_FIELDS, as a notice shows it.
FIELD_LABELS: Final[dict[str, str]] = {
    "date": "Date",
    "category": "Type",
    "crs": "Cut-off",
    "invitations": "Invitations",
    "tie_break": "Tie-break",
    "tie_break_raw": "Tie-break",
}
FIELD_LABELS_FR: Final[dict[str, str]] = {
    "date": "Date",
    "category": "Type de ronde",
    "crs": "Note minimale du SCG",
    "invitations": "Nombre d'invitations",
    "tie_break": "Règle de bris d'égalité",
    "tie_break_raw": "Règle de bris d'égalité",
}
_FIELD_LABELS: Final[dict[str, dict[str, str]]] = {"en": FIELD_LABELS, "fr": FIELD_LABELS_FR}

# What a notice shows for a value IRCC did not publish (French agrees with the field's gender).
_NOT_PUBLISHED_FR: Final[dict[str, str]] = {"date": "non publiée", "crs": "non publiée"}


# The verdict a correction notice's subject starts with, per standing (domain.vocabulary.STANDINGS).
CORRECTION_VERDICTS: Final[dict[str, str]] = {
    "clear": "You still qualify",
    "tie_unknown": "Tie-break decides",
    "tie_invited": "Tie-break favours you",
    "tie_not_invited": "Tie-break goes against you",
    "below": "Below the new cut-off",
}
CORRECTION_VERDICTS_FR: Final[dict[str, str]] = {
    "clear": "Note toujours suffisante",
    "tie_unknown": "Le bris d'égalité tranche",
    "tie_invited": "Bris d'égalité en votre faveur",
    "tie_not_invited": "Bris d'égalité en votre défaveur",
    "below": "Sous la nouvelle note minimale",
}
_CORRECTION_VERDICTS: Final[dict[str, dict[str, str]]] = {
    "en": CORRECTION_VERDICTS,
    "fr": CORRECTION_VERDICTS_FR,
}


@dataclass(frozen=True, slots=True)
class ChangeLine:
    """One changed fact as the notice shows it: ``Cut-off: 486 → 491``."""

    field: str
    label: str
    old: str
    new: str
    # The change it shows, to show it again in another language (None: a line made from text alone).
    change: Change | None = dataclass_field(default=None, compare=False, repr=False)


def change_line(change: Change, language: str | None = DEFAULT_LANGUAGE) -> ChangeLine:
    """The line of a notice that shows ``change``, in ``language``."""
    text = phrases.text_language(language)
    return ChangeLine(
        change.field,
        _FIELD_LABELS[text][change.field],
        _shown(change.field, change.old, text),
        _shown(change.field, change.new, text),
        change,
    )


def localized_line(line: ChangeLine, language: str | None) -> ChangeLine:
    """``line`` in ``language``: shown again from its change, or (a line made from text) relabelled."""
    text = phrases.text_language(language)
    if line.change is not None:
        return change_line(line.change, text)
    return replace(line, label=_FIELD_LABELS[text].get(line.field, line.label))


def _shown(field: str, value: Any, language: str = DEFAULT_LANGUAGE) -> str:
    french = language == "fr"
    formats = phrases.formats(language)
    if value is None or value == "":
        return _NOT_PUBLISHED_FR.get(field, "non publié") if french else "not published"
    if field == "date":
        return formats.long_date(value)
    if field == "tie_break":
        return formats.utc_time(value)
    if field == "category":
        return category_label(value, language)
    if field == "crs":
        return str(value) if french else f"CRS {value}"
    if field == "invitations":
        return formats.thousands(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class CorrectionContext:
    """One subscriber's notice that a round they were alerted about was corrected."""

    round: RoundInfo  # as corrected
    changes: tuple[ChangeLine, ...]
    subscriber_name: str
    subscriber_crs: int
    standing: Standing  # against the corrected round
    unsubscribe_hint: str | None = None
    submitted_at: datetime | None = None  # the subscriber's saved profile submission time
    # For a subscriber with a CRS profile: ``subscriber_crs`` is its score on the corrected round's day under
    # this rule set (None: a bare CRS number, or a day before the first rule set: the stored score).
    score_rules: str | None = None

    def __post_init__(self) -> None:
        if self.standing not in STANDINGS:
            raise ValueError(f"standing must be one of {', '.join(STANDINGS)}; got {self.standing!r}")
        if not self.changes:
            raise ValueError(f"round {self.round.number}: a correction notice needs at least one change")
        below = self.subscriber_crs < self.round.crs
        if below != (self.standing == "below"):
            raise ValueError(
                f"standing {self.standing!r} contradicts CRS {self.subscriber_crs} vs cut-off {self.round.crs}"
            )

    @property
    def margin(self) -> int:
        """Points above the corrected cut-off (negative below it)."""
        return self.subscriber_crs - self.round.crs

    def template_context(self, language: str | None = DEFAULT_LANGUAGE) -> dict[str, Any]:
        """The names the correction templates see (listed in correction.txt.j2's header), in ``language``:
        for French the category label, the change lines and deliver's unsubscribe line are French."""
        text = phrases.text_language(language)
        changes, hint = self.changes, self.unsubscribe_hint
        if text != DEFAULT_LANGUAGE:
            changes = tuple(localized_line(line, text) for line in changes)
            hint = phrases.localize_unsubscribe_hint(hint, text)
        return {
            "round": localized_round(self.round, text),
            "changes": changes,
            "subscriber_name": self.subscriber_name,
            "subscriber_crs": self.subscriber_crs,
            "standing": self.standing,
            "margin": self.margin,
            "unsubscribe_hint": hint,
            "verdict": _CORRECTION_VERDICTS[text][self.standing],
            "category_short": category_short(self.round.category, text),
            "canadian_experience": self.round.canadian_experience,
            "apply_by": self.round.apply_by,
            "apply_days": APPLICATION_DAYS,
            "submitted_at": self.submitted_at,
            "submitted_at_tie_break": submitted_at_tie_break(self.submitted_at, self.round.tie_break),
            "score_rules": self.score_rules,
            "language": text,
        }


CORRECTION_PREFIX: Final = "correction"


def render_correction(
    renderer: Renderer, ctx: CorrectionContext, *, language: str | None = DEFAULT_LANGUAGE
) -> RenderedMessage:
    """Subject, text, HTML and short form of a correction notice (templates ``correction*.j2``), in
    ``language`` (the subscriber's: "en" or "fr")."""
    return renderer.render_message(CORRECTION_PREFIX, ctx.template_context(language), language=language)
