"""The CRS calculator: a profile, the grid in force on a day, the score with its line items, and what would
change it. Pure domain code: the grid and the language charts are packaged data, nothing else is read."""

from __future__ import annotations

from drawwatch.domain.crs.grid import NoRuleSetError, RuleSet, rule_sets, rules_on
from drawwatch.domain.crs.profile import Profile, ProfileError, parse_profile
from drawwatch.domain.crs.score import Score, score, score_until

__all__ = [
    "NoRuleSetError",
    "Profile",
    "ProfileError",
    "RuleSet",
    "Score",
    "parse_profile",
    "rule_sets",
    "rules_on",
    "score",
    "score_until",
]
