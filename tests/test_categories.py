"""Round names → category keys and list versions: every name IRCC really published, plus future-proofing."""

from __future__ import annotations

import pytest

from drawwatch.domain.categories import CATEGORY_KEYS, CATEGORY_LABELS, classify, list_version
from tests.support.feeds import FEED_COPIES, feed_rounds

# Every distinct drawName in the real copies (the 2024-04 copy #295 still has the pre-rename names).
REAL_NAMES: dict[str, tuple[str, str | None]] = {
    "No Program Specified": ("general", None),
    "General": ("general", None),
    "Canadian Experience Class": ("cec", None),
    "Provincial Nominee Program": ("pnp", None),
    "Federal Skilled Trades": ("fst", None),
    "Federal Skilled Worker": ("fsw", None),
    "French language proficiency (2023-1)": ("french", "2023-1"),
    "French language proficiency (2024-1)": ("french", "2024-1"),
    "French language proficiency (Version 1)": ("french", "Version 1"),
    "French-Language proficiency 2026-Version 2": ("french", "2026-Version 2"),
    "STEM occupations (2023-1)": ("stem", "2023-1"),
    "STEM occupations (2024-1)": ("stem", "2024-1"),
    "STEM occupations (Version 1)": ("stem", "Version 1"),
    "Healthcare occupations (2023-1)": ("healthcare", "2023-1"),
    "Healthcare occupations (Version 1)": ("healthcare", "Version 1"),
    "Healthcare and social services occupations (Version 2)": ("healthcare", "Version 2"),
    "Healthcare and Social Services Occupations, 2026-Version 3": ("healthcare", "2026-Version 3"),
    "Trade occupations (2023-1)": ("trades", "2023-1"),
    "Trade occupations (Version 1)": ("trades", "Version 1"),
    "Trade occupations (Version 2)": ("trades", "Version 2"),
    "Trades Occupations, 2026-Version 3": ("trades", "2026-Version 3"),
    "Transport occupations (2023-1)": ("transport", "2023-1"),
    "Transport occupations (2024-1)": ("transport", "2024-1"),
    "Transport occupations (Version 1)": ("transport", "Version 1"),
    "Transport Occupations, 2026-Version 2": ("transport", "2026-Version 2"),
    "Agriculture and agri-food occupations (2023-1)": ("agriculture", "2023-1"),
    "Agriculture and agri-food occupations (Version 1)": ("agriculture", "Version 1"),
    "Education occupations (Version 1)": ("education", "Version 1"),
    "Physicians with Canadian Work Experience, 2026-Version 1": ("physicians", "2026-Version 1"),
    "Senior managers with Canadian Work Experience, 2026-Version 1": ("senior_managers", "2026-Version 1"),
    "Skilled Military Recruits, 2026-Version 1": ("military", "2026-Version 1"),
}

# Every distinct drawName of the French feed (copied from the derived #430 copy in the research folder,
# ee_rounds_123_fr.DERIVED-names-only.430, which is not a fixture: it is not IRCC's layout).
FRENCH_NAMES: dict[str, tuple[str, str | None]] = {
    "Aucun programme spécifié": ("general", None),
    "Générale": ("general", None),
    "Programme des candidats des provinces": ("pnp", None),
    "Catégorie de l’expérience canadienne": ("cec", None),
    "Programme des travailleurs de métiers spécialisés (fédéral)": ("fst", None),
    "Programme des travailleurs qualifiés (fédéral)": ("fsw", None),
    "Compétence linguistique en français (Version 1)": ("french", "Version 1"),
    "Compétence linguistique en français 2026-Version 2": ("french", "2026-Version 2"),
    "Professions de la santé (Version 1)": ("healthcare", "Version 1"),
    "Professions de la santé et des services sociaux (Version 2)": ("healthcare", "Version 2"),
    "Professions de la santé et des services sociaux 2026-version 3": ("healthcare", "2026-Version 3"),
    "Métiers (Version 1)": ("trades", "Version 1"),
    "Métiers (Version 2)": ("trades", "Version 2"),
    "Métiers spécialisés (Version 1)": ("trades", "Version 1"),
    "Métiers spécialisés 2026-Version 3": ("trades", "2026-Version 3"),
    "Professions des STIM (Version 1)": ("stem", "Version 1"),
    "Métiers des transports (Version 1)": ("transport", "Version 1"),
    "Métiers de l'agriculture et de l'agroalimentaire (Version 1)": ("agriculture", "Version 1"),
    "Professions de l’éducation (Version 1)": ("education", "Version 1"),
    "Médecins ayant de l’expérience de travail au Canada 2026-Version 1": ("physicians", "2026-Version 1"),
    "Cadres supérieurs/cadres supérieures ayant de l’expérience de travail au Canada 2026-version 1": (
        "senior_managers",
        "2026-Version 1",
    ),
    "Recrues militaires qualifiées, 2026-Version 1": ("military", "2026-Version 1"),
}

# Names not (yet) published: announced categories, case/punctuation drift, and names no rule knows.
OTHER_NAMES: dict[str, tuple[str, str | None]] = {
    "Researchers with Canadian Work Experience, 2026-Version 1": ("researchers", "2026-Version 1"),
    "Aviation Transport Occupations, 2026-Version 1": ("transport", "2026-Version 1"),
    "FEDERAL SKILLED TRADES": ("fst", None),
    "Federal Skilled Trades Program": ("fst", None),
    "Federal  skilled-worker": ("fsw", None),
    "Trades occupations (version 4)": ("trades", "Version 4"),
    "trade-occupations": ("trades", None),
    "Healthcare and social services": ("healthcare", None),
    "health care occupations, 2027-version 1": ("healthcare", "2027-Version 1"),
    "French-language proficiency (2023-1)": ("french", "2023-1"),
    "STEM Occupations, 2026 - Version 2": ("stem", "2026-Version 2"),
    "  General  ": ("general", None),
    "no program specified": ("general", None),
    "Canadian Experience Class (Version 1)": ("cec", "Version 1"),
    "Provincial Nominee Program – Healthcare": ("pnp", None),
    "Arts and culture occupations (Version 1)": ("other", "Version 1"),
    "Some new round type": ("other", None),
    "Chercheurs ayant de l’expérience de travail au Canada, 2026-Version 1": (
        "researchers",
        "2026-Version 1",
    ),
    "Généraliste": ("other", None),
    "": ("other", None),
}


@pytest.mark.parametrize(("name", "expected"), list(REAL_NAMES.items()), ids=list(REAL_NAMES))
def test_every_real_name_is_classified(name: str, expected: tuple[str, str | None]) -> None:
    assert (classify(name), list_version(name)) == expected


@pytest.mark.parametrize(("name", "expected"), list(FRENCH_NAMES.items()), ids=list(FRENCH_NAMES))
def test_every_french_name_is_classified(name: str, expected: tuple[str, str | None]) -> None:
    assert (classify(name), list_version(name)) == expected


@pytest.mark.parametrize(("name", "expected"), list(OTHER_NAMES.items()), ids=repr)
def test_unseen_names(name: str, expected: tuple[str, str | None]) -> None:
    assert (classify(name), list_version(name)) == expected


def test_the_table_covers_every_name_in_the_copies() -> None:
    names: set[str] = set()
    for key in FEED_COPIES:
        names |= {r["drawName"] for r in feed_rounds(key)}
    assert len(names) == 31
    assert names - set(REAL_NAMES) == set(), "add the new names to REAL_NAMES"


def test_every_key_is_reached_by_some_name() -> None:
    reached = {key for key, _ in (*REAL_NAMES.values(), *FRENCH_NAMES.values(), *OTHER_NAMES.values())}
    assert reached == set(CATEGORY_KEYS)


def test_keys_and_labels() -> None:
    assert CATEGORY_KEYS[-1] == "other" and len(set(CATEGORY_KEYS)) == len(CATEGORY_KEYS) == 17
    assert set(CATEGORY_LABELS) == set(CATEGORY_KEYS)
    assert all(label.strip() for label in CATEGORY_LABELS.values())
    assert CATEGORY_LABELS["stem"] == "STEM"
    assert CATEGORY_LABELS["general"] == "General (all programs)"
