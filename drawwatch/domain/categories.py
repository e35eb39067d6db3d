"""Round categories: the stable keys drawwatch uses instead of IRCC's free-text round names.

IRCC renames rounds after publication and changes case and punctuation freely (docs/feed.md), so nothing is
ever keyed on the raw ``drawName``: it is classified here by ordered keyword rules.
"""

from __future__ import annotations

import re
import unicodedata

from drawwatch.domain.vocabulary import CATEGORY_KEYS, SUBSCRIBABLE_KEYS

__all__ = [
    "CANADIAN_EXPERIENCE_CATEGORIES",
    "CATEGORY_KEYS",
    "CATEGORY_LABELS",
    "CATEGORY_LABELS_FR",
    "CATEGORY_SHORT_LABELS",
    "CATEGORY_SHORT_LABELS_FR",
    "SUBSCRIBABLE_KEYS",
    "category_label",
    "category_short_label",
    "classify",
    "list_version",
    "normalize_name",
]


CATEGORY_LABELS: dict[str, str] = {
    "general": "General (all programs)",
    "cec": "Canadian Experience Class",
    "fsw": "Federal Skilled Worker",
    "fst": "Federal Skilled Trades",
    "pnp": "Provincial Nominee Program",
    "french": "French-language proficiency",
    "stem": "STEM",
    "healthcare": "Healthcare and social services",
    "trades": "Trades",
    "transport": "Transport",
    "agriculture": "Agriculture and agri-food",
    "education": "Education",
    "physicians": "Physicians with Canadian work experience",
    "researchers": "Researchers with Canadian work experience",
    "senior_managers": "Senior managers with Canadian work experience",
    "military": "Skilled military recruits",
    "other": "Other",
}
"""Human labels for alerts and listings; every key of :data:`CATEGORY_KEYS` has one."""

CATEGORY_SHORT_LABELS: dict[str, str] = {
    "general": "General",
    "cec": "CEC",
    "fsw": "FSW",
    "fst": "FST",
    "pnp": "PNP",
    "french": "French",
    "stem": "STEM",
    "healthcare": "Healthcare",
    "trades": "Trades",
    "transport": "Transport",
    "agriculture": "Agriculture",
    "education": "Education",
    "physicians": "Physicians",
    "researchers": "Researchers",
    "senior_managers": "Senior managers",
    "military": "Military",
    "other": "Other",
}
"""Short labels for subject lines, chart legends and table cells; every key has one."""

CATEGORY_LABELS_FR: dict[str, str] = {
    "general": "Générale (tous les programmes)",
    "cec": "Catégorie de l’expérience canadienne",
    "fsw": "Programme des travailleurs qualifiés (fédéral)",
    "fst": "Programme des travailleurs de métiers spécialisés (fédéral)",
    "pnp": "Programme des candidats des provinces",
    "french": "Compétence linguistique en français",
    "stem": "Professions des STIM",
    "healthcare": "Professions de la santé et des services sociaux",
    "trades": "Métiers",
    "transport": "Métiers des transports",
    "agriculture": "Métiers de l’agriculture et de l’agroalimentaire",
    "education": "Professions de l’éducation",
    "physicians": "Médecins ayant de l’expérience de travail au Canada",
    "researchers": "Chercheurs ayant de l’expérience de travail au Canada",
    "senior_managers": "Cadres supérieurs/cadres supérieures ayant de l’expérience de travail au Canada",
    "military": "Recrues militaires qualifiées",
    "other": "Autre",
}
"""The French labels, in IRCC's own words: the French feed's ``drawName`` without its list version
(``ee_rounds_123_fr.json``; "Générale" and "Aucun programme spécifié" both become the general label).
IRCC's French feed has had no researchers round yet: that label follows the physicians' wording."""

CATEGORY_SHORT_LABELS_FR: dict[str, str] = {
    "general": "Générale",
    "cec": "CEC",
    "fsw": "PTQF",
    "fst": "PTMSF",
    "pnp": "PCP",
    "french": "Français",
    "stem": "STIM",
    "healthcare": "Santé",
    "trades": "Métiers",
    "transport": "Transports",
    "agriculture": "Agriculture",
    "education": "Éducation",
    "physicians": "Médecins",
    "researchers": "Chercheurs",
    "senior_managers": "Cadres supérieurs",
    "military": "Militaires",
    "other": "Autre",
}
"""Short French labels for subject lines (IRCC's French acronyms: PTQF, PTMSF, PCP, STIM)."""

_LABELS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "en": (CATEGORY_LABELS, CATEGORY_SHORT_LABELS),
    "fr": (CATEGORY_LABELS_FR, CATEGORY_SHORT_LABELS_FR),
}


def category_label(key: str, language: str = "en") -> str:
    """The label of a category key in ``language`` ("en", "fr"; any other is English); the key when unknown."""
    return _LABELS.get(language, _LABELS["en"])[0].get(key, key)


def category_short_label(key: str, language: str = "en") -> str:
    """The short label of a category key in ``language`` (as :func:`category_label`)."""
    return _LABELS.get(language, _LABELS["en"])[1].get(key, key)


CANADIAN_EXPERIENCE_CATEGORIES: frozenset[str] = frozenset(
    {"cec", "physicians", "researchers", "senior_managers"}
)
"""Round categories open only to candidates with Canadian work experience: the Canadian Experience Class, and
the categories whose eligibility rule says ``canadian_experience = true`` in ``drawwatch/data/eligibility/``
(a test keeps the two in step). Alerts for these rounds say so."""

# Ordered rules over the *normalized* name (accents dropped, lower case, punctuation → single spaces); the
# first match wins. English names come from the feed drawwatch reads; the French feed's names (same rounds,
# ``ee_rounds_123_fr.json``) are recognised too, so pointing DRAWWATCH_FEED_URL at it does not yield "other".
# Order matters where keywords overlap:
# - program rounds first: "Federal Skilled Trades" / "travailleurs de métiers spécialisés (fédéral)" are fst,
#   not the trades category;
# - physicians, senior managers, researchers and military before healthcare/general: their 2026 names read
#   "… with Canadian Work Experience" / "… ayant de l'expérience de travail au Canada" (which is not cec);
# - transport and agriculture before trades: French writes them "Métiers des transports", "Métiers de
#   l'agriculture…", and "métiers" alone is the trades category;
# - general last: "General"/"Générale" only count as the start of the name, never a word inside another.
CATEGORY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("fst", r"\bfederal skilled trades?\b|\btravailleurs de metiers specialises\b"),
        ("fsw", r"\bfederal skilled workers?\b|\btravailleurs qualifies\b"),
        ("cec", r"\bcanadian experience class\b|\bexperience canadienne\b"),
        ("pnp", r"\bprovincial nominee\b|\bcandidats des provinces\b"),
        ("french", r"\bfrench\b|\bfrancophone\b|\bfrancais\b"),
        ("physicians", r"\bphysicians?\b|\bdoctors?\b|\bmedecins?\b"),
        ("senior_managers", r"\bsenior managers?\b|\bsenior management\b|\bcadres superieur"),
        ("researchers", r"\bresearchers?\b|\bchercheu(?:r|rs|se|ses)\b"),
        ("military", r"\bmilitary\b|\barmed forces\b|\bmilitaires?\b"),
        ("healthcare", r"\bhealth ?care\b|\bhealth\b|\bsocial services?\b|\bsante\b|\bservices sociaux\b"),
        ("stem", r"\bstem\b|\bscience technology engineering\b|\bstim\b"),
        ("transport", r"\btransport(?:s|ation)?\b|\baviation\b"),
        ("agriculture", r"\bagri(?:culture|cultural)?\b|\bagri food\b|\bagroalimentaire\b"),
        ("education", r"\beducation\b|\bteachers?\b|\bearly childhood\b|\benseignants?\b"),
        ("trades", r"\btrades?\b|\bmetiers?\b"),
        ("general", r"\bno program specified\b|^general\b|\ball programs\b|\baucun programme\b|^generale\b"),
    )
)

_NON_WORD = re.compile(r"[^a-z0-9]+")

# Occupation-list versions, most specific first: "2026-Version 2", "(Version 1)", "(2023-1)".
_YEAR_VERSION = re.compile(r"\b(\d{4})\s*[-–]\s*version\s*(\d+)\b", re.IGNORECASE)
_VERSION = re.compile(r"\bversion\s*(\d+)\b", re.IGNORECASE)
_YEAR_ISSUE = re.compile(r"\(\s*(\d{4})\s*[-–]\s*(\d+)\s*\)")


def normalize_name(round_name: str) -> str:
    """Drop accents, lower-case ``round_name`` and turn every run of punctuation/space into one space.

    IRCC writes the same round type as "French language proficiency" and "French-Language proficiency",
    "Trade occupations" and "Trades Occupations" ("Métiers" in French): rules match this form, never the raw
    text.
    """
    unaccented = "".join(c for c in unicodedata.normalize("NFKD", round_name) if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", unaccented.lower()).strip()


def classify(round_name: str) -> str:
    """The category key of IRCC's free-text ``drawName``; ``"other"`` when no rule recognises it."""
    name = normalize_name(round_name)
    for key, pattern in CATEGORY_RULES:
        if pattern.search(name):
            return key
    return "other"


def list_version(round_name: str) -> str | None:
    """The occupation-list version named in ``round_name``, normalized; None when the name has none.

    "Trade occupations (Version 2)" → "Version 2"; "Trades Occupations, 2026-Version 3" → "2026-Version 3";
    the pre-2024 style "STEM occupations (2023-1)" → "2023-1".
    """
    if match := _YEAR_VERSION.search(round_name):
        return f"{match.group(1)}-Version {int(match.group(2))}"
    if match := _VERSION.search(round_name):
        return f"Version {int(match.group(1))}"
    if match := _YEAR_ISSUE.search(round_name):
        return f"{match.group(1)}-{int(match.group(2))}"
    return None
