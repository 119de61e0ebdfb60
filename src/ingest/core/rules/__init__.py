"""Site profiles, one family per module. Detection picks the profile with the strongest evidence."""

from __future__ import annotations

from ingest.core.rules import acs, ai_answer, generic, nci
from ingest.core.rules.base import Profile, Rule, Signal

PROFILES: tuple[Profile, ...] = (ai_answer.PROFILE, acs.PROFILE, nci.PROFILE)
GENERIC: Profile = generic.PROFILE
BY_FAMILY: dict[str, Profile] = {p.family: p for p in (*PROFILES, GENERIC)}

# Rules every family gets after its own (they hold everywhere).
COMMON_RULES: tuple[Rule, ...] = generic.PROFILE.rules

__all__ = ["PROFILES", "GENERIC", "BY_FAMILY", "COMMON_RULES", "Profile", "Rule", "Signal"]
