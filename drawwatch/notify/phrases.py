"""What a message says in each subscriber's language, outside the templates: formats and phrases.

A subscriber's ``language`` ("en" or "fr") picks the templates (:class:`~drawwatch.notify.render.Renderer`)
and, here, everything Python writes into a message: numbers, dates and times (French style: ``1 500`` with a
no-break space, ``1er mars 2026``, ``18 h 34 min 05 s UTC``), the unsubscribe line, and the score notes of
profile subscribers. Nothing here imports Jinja2, so delivery can use it before anything is rendered.

Any language other than those of :data:`LANGUAGES` reads English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Final

LANGUAGES: Final = ("en", "fr")
"""The languages drawwatch writes messages in; the first is the default."""
DEFAULT_LANGUAGE: Final = "en"

NBSP: Final = "\u00a0"
"""The no-break space French puts before a colon, inside « », and between thousands (``1 500``)."""

_LANGUAGE_TAG: Final = re.compile(r"[a-z]{2,3}")


@lru_cache(maxsize=256)  # a few distinct values, asked about several times for each message
def normalize_language(value: str | None) -> str:
    """The primary language of a stored ``language`` value: ``"fr-CA"`` and ``" FR "`` -> ``"fr"``;
    ``"en"`` for none or anything that is not a language tag (it names a template directory: never a path).
    A well-formed language drawwatch has no text for (``"de"``) is kept, for operators' own templates."""
    if not value:
        return DEFAULT_LANGUAGE
    primary = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return primary if _LANGUAGE_TAG.fullmatch(primary) else DEFAULT_LANGUAGE


def text_language(language: str | None) -> str:
    """The language drawwatch's own words are in for ``language``: itself if drawwatch has it, else English."""
    normalized = normalize_language(language)
    return normalized if normalized in LANGUAGES else DEFAULT_LANGUAGE


# ------------------------------------------------------------------------------------------------- English

# Month names spelled out here: strftime("%B") follows the process locale.
_MONTHS_EN: Final = (
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


def thousands(value: int) -> str:
    """``1500`` -> ``"1,500"`` (IRCC writes invitation counts this way)."""
    return f"{int(value):,}"


def long_date(value: date) -> str:
    """``date(2026, 8, 19)`` -> ``"August 19, 2026"``, independent of the process locale."""
    return f"{_MONTHS_EN[value.month - 1]} {value.day}, {value.year}"


def utc_time(value: datetime) -> str:
    """An aware datetime as IRCC writes tie-break times: ``"March 1, 2026 at 18:34:05 UTC"``."""
    if value.tzinfo is None:
        raise ValueError("utc filter needs a timezone-aware datetime")
    value = value.astimezone(UTC)
    return f"{long_date(value.date())} at {value:%H:%M:%S} UTC"


def points(value: int) -> str:
    """``1`` -> ``"1 point"``, ``8`` -> ``"8 points"``."""
    return f"{value} point" if abs(value) == 1 else f"{value} points"


# -------------------------------------------------------------------------------------------------- French

_MONTHS_FR: Final = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def thousands_fr(value: int) -> str:
    """``1500`` -> ``"1 500"``: a no-break space between groups of three digits, as IRCC's French pages
    write counts (never a comma, the French decimal mark)."""
    return f"{int(value):,}".replace(",", NBSP)


def long_date_fr(value: date) -> str:
    """``date(2026, 12, 4)`` -> ``"4 décembre 2026"``; the first of the month is ``"1er mars 2026"``."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {_MONTHS_FR[value.month - 1]} {value.year}"


def clock_fr(value: datetime) -> str:
    """The time of day the French way: ``"14 h 05"``, with seconds when there are any: ``"18 h 34 min 05 s"``."""
    if value.second:
        return f"{value.hour} h {value:%M} min {value:%S} s"
    return f"{value.hour} h {value:%M}"


def utc_time_fr(value: datetime) -> str:
    """An aware datetime in French: ``"1er mars 2026 à 18 h 34 min 05 s UTC"``, ``"… à 14 h 05 UTC"``."""
    if value.tzinfo is None:
        raise ValueError("utc filter needs a timezone-aware datetime")
    value = value.astimezone(UTC)
    return f"{long_date_fr(value.date())} à {clock_fr(value)} UTC"


def points_fr(value: int) -> str:
    """``1`` -> ``"1 point"``, ``8`` -> ``"8 points"``; French keeps 0 and 1 singular."""
    return f"{value} point" if abs(value) < 2 else f"{thousands_fr(value)} points"


# ---------------------------------------------------------------------------------------- per language


class Formats:
    """The number, date and time formats of one language (the templates' filters of the same names)."""

    __slots__ = ("long_date", "points", "thousands", "utc_time")

    def __init__(
        self,
        *,
        thousands: Callable[[int], str],
        long_date: Callable[[date], str],
        utc_time: Callable[[datetime], str],
        points: Callable[[int], str],
    ) -> None:
        self.thousands = thousands
        self.long_date = long_date
        self.utc_time = utc_time
        self.points = points


FORMATS: Final[Mapping[str, Formats]] = {
    "en": Formats(thousands=thousands, long_date=long_date, utc_time=utc_time, points=points),
    "fr": Formats(thousands=thousands_fr, long_date=long_date_fr, utc_time=utc_time_fr, points=points_fr),
}


def formats(language: str | None) -> Formats:
    """The formats of ``language`` (English for a language drawwatch has no text for)."""
    return FORMATS[text_language(language)]


# ------------------------------------------------------------------------------------------ unsubscribe


def unsubscribe_hint(token: str, unsubscribe_url: str | None = None, language: str | None = "en") -> str:
    """The line every message ends with: the operator's unsubscribe page (``{token}`` in it replaced), or
    the token and the command that uses it. English is word for word ``deliver.unsubscribe_hint``'s."""
    french = text_language(language) == "fr"
    if unsubscribe_url:
        url = unsubscribe_url.replace("{token}", token)
        return f"Pour ne plus recevoir ces alertes{NBSP}: {url}" if french else f"To stop these alerts: {url}"
    if french:
        return (
            f"Pour ne plus recevoir ces alertes, envoyez ce code de désabonnement à la personne qui gère "
            f"drawwatch pour vous{NBSP}: {token} (elle lance{NBSP}: drawwatch subscribers unsubscribe {token})"
        )
    return (
        f"To stop these alerts, send this unsubscribe code to whoever runs drawwatch for you: {token} "
        f"(they run: drawwatch subscribers unsubscribe {token})"
    )


def links_hint(manage_url: str, stop_url: str | None = None, language: str | None = "en") -> str:
    """The line every message ends with when the sign-up site runs (``drawwatch serve``): the subscriber's
    manage page and, in an e-mail, the unsubscribe page its List-Unsubscribe header names too."""
    if text_language(language) == "fr":
        line = f"Vos réglages, votre historique et vos données{NBSP}: {manage_url}"
        return line + (f" — Pour ne plus recevoir ces alertes{NBSP}: {stop_url}" if stop_url else "")
    line = f"Your settings, backtest and data: {manage_url}"
    return line + (f" — To stop these alerts: {stop_url}" if stop_url else "")


# ----------------------------------------------------------------------------------------- score notes

# The notes app.rescore writes (change_note, next_change), English only; score_note() rewrites them.
_ISO: Final = r"\d{4}-\d{2}-\d{2}"
_NOTE: Final = re.compile(
    rf"(?P<n>\d+) points? (?P<way>lower|higher)"
    rf"(?: since (?P<since>.+)| than on (?P<than>{_ISO})(?:, before (?P<before>.+))?| from (?P<from>.+))$"
)
_WHY_SPLIT: Final = re.compile(rf" and (?=your birthday on {_ISO}|{_ISO} \()")
_BIRTHDAY: Final = re.compile(rf"your birthday on (?P<day>{_ISO})")
_DAY_WHY: Final = re.compile(rf"(?P<day>{_ISO}) \((?P<reasons>.*)\)")
_RESULT: Final = re.compile(
    rf"(?P<where>[\w.]+): the (?P<test>.+) result of (?P<day>{_ISO}|None) "
    r"(?P<what>starts counting|expires \(two years\))"
)
_RULES: Final = re.compile(r"rule set (?P<id>\S+) takes effect")

_WHERE_FR: Final[Mapping[str, str]] = {
    "first_language": "première langue officielle",
    "second_language": "seconde langue officielle",
    "spouse.language": "langue de l'époux ou du conjoint de fait",
}


def score_note(note: str | None, language: str | None = "en") -> str | None:
    """A score note of ``app.rescore`` (``AlertContext.score_note``/``score_next``) in ``language``.

    ``"5 points lower since your birthday on 2026-03-14"`` -> ``"5 points de moins depuis votre anniversaire
    du 14 mars 2026"``; ``"… than on 2026-05-01"`` -> ``"… que le 1er mai 2026"``; ``"… from your birthday on
    2027-03-14"`` (the next change) -> ``"… à partir de votre anniversaire du 14 mars 2027"``. None stays
    None, English is returned as given, and a note of a shape this does not know is returned unchanged
    (English in a French message rather than nothing).
    """
    if note is None or text_language(language) == "en":
        return note
    match = _NOTE.fullmatch(note)
    if match is None:
        return note
    try:
        amount = points_fr(int(match["n"]))
        way = "de moins" if match["way"] == "lower" else "de plus"
        if match["since"] is not None:
            return f"{amount} {way} depuis {_whys_fr(match['since'], 'depuis')}"
        if match["from"] is not None:
            return f"{amount} {way} à partir {_whys_fr(match['from'], 'de')}"
        than = f"{amount} {way} que le {long_date_fr(date.fromisoformat(match['than']))}"
        if match["before"] is not None:
            return f"{than}, avant {_whys_fr(match['before'], 'avant')}"
        return than
    except ValueError:  # a part that does not parse after all
        return note


def _whys_fr(text: str, preposition: str) -> str:
    """``"your birthday on D and D2 (reason)"`` after ``preposition`` ("depuis", "avant", or "de", which
    contracts with "le" into "du")."""
    parts: list[str] = []
    for why in _WHY_SPLIT.split(text):
        if birthday := _BIRTHDAY.fullmatch(why):
            day = long_date_fr(date.fromisoformat(birthday["day"]))
            parts.append(f"{'de ' if preposition == 'de' else ''}votre anniversaire du {day}")
        elif dated := _DAY_WHY.fullmatch(why):
            day = long_date_fr(date.fromisoformat(dated["day"]))
            reasons = "; ".join(_reason_fr(reason) for reason in dated["reasons"].split("; "))
            parts.append(f"{'du' if preposition == 'de' else 'le'} {day} ({reasons})")
        else:
            raise ValueError(why)
    return " et ".join(parts)


def _reason_fr(reason: str) -> str:
    if rules := _RULES.fullmatch(reason):
        return f"entrée en vigueur des règles {rules['id']}"
    if result := _RESULT.fullmatch(reason):
        where = _WHERE_FR.get(result["where"], result["where"])
        day = "" if result["day"] == "None" else f" du {long_date_fr(date.fromisoformat(result['day']))}"
        what = "commence à compter" if result["what"] == "starts counting" else "expire (après deux ans)"
        return f"{where}{NBSP}: le résultat {result['test']}{day} {what}"
    raise ValueError(reason)


_HINT_URL: Final = re.compile(r"To stop these alerts: (?P<url>\S+)")
_HINT_TOKEN: Final = re.compile(
    r"To stop these alerts, send this unsubscribe code to whoever runs drawwatch for you: (?P<token>\S+) "
    r"\(they run: drawwatch subscribers unsubscribe (?P=token)\)"
)


def localize_unsubscribe_hint(hint: str | None, language: str | None) -> str | None:
    """An English unsubscribe line as :func:`unsubscribe_hint` (and ``deliver.unsubscribe_hint``) writes it,
    in ``language``; any other text (an operator's own) is returned unchanged."""
    if hint is None or text_language(language) == "en":
        return hint
    if url := _HINT_URL.fullmatch(hint):
        return unsubscribe_hint("", url["url"], language)
    if token := _HINT_TOKEN.fullmatch(hint):
        return unsubscribe_hint(token["token"], None, language)
    return hint


# --------------------------------------------------------------------------------------------- reminders

# What domain.crs.reminders names an event ("age 30", "the IELTS General Training result of 2024-12-10
# (first language)", "the Express Entry profile"); reminder_what() rewrites it.
_AGE: Final = re.compile(r"age (?P<age>\d+)")
_REMINDER_RESULT: Final = re.compile(rf"the (?P<test>.+) result of (?P<day>{_ISO}) \((?P<where>[^()]+)\)")
_REMINDER_WHERE_FR: Final[Mapping[str, str]] = {
    "first language": "première langue officielle",
    "second language": "seconde langue officielle",
    "spouse's language": "langue de l'époux ou du conjoint de fait",
}


def reminder_what(what: str, language: str | None = "en") -> str:
    """A reminder's ``what`` in ``language``: ``"age 30"`` -> ``"30 ans"``, ``"the IELTS General Training
    result of 2024-12-10 (first language)"`` -> ``"le résultat IELTS General Training du 10 décembre 2024
    (première langue officielle)"``, ``"the Express Entry profile"`` -> ``"votre profil Entrée express"``;
    any other text is returned unchanged."""
    if text_language(language) == "en":
        return what
    if age := _AGE.fullmatch(what):
        return f"{age['age']} ans"
    if what == "the Express Entry profile":
        return "votre profil Entrée express"
    if result := _REMINDER_RESULT.fullmatch(what):
        where = _REMINDER_WHERE_FR.get(result["where"], result["where"])
        day = long_date_fr(date.fromisoformat(result["day"]))
        return f"le résultat {result['test']} du {day} ({where})"
    return what


def localize_reminder_context(context: Mapping[str, object], language: str | None) -> dict[str, object]:
    """The names of ``ReminderContext.template_context()`` with ``what`` and ``unsubscribe_hint`` in
    ``language`` (as given for English)."""
    localized = dict(context)
    if text_language(language) == "en":
        return localized
    if isinstance(what := localized.get("what"), str):
        localized["what"] = reminder_what(what, language)
    if isinstance(hint := localized.get("unsubscribe_hint"), str):
        localized["unsubscribe_hint"] = localize_unsubscribe_hint(hint, language)
    return localized
