"""Anything we have no profile for: only rules that hold on every site."""

from __future__ import annotations

from .base import Profile, Rule

PROFILE = Profile(
    family="generic",
    publisher=None,
    kind="web_page",
    signals=(),
    rules=(
        Rule("generic.skip_to_content", r"Skip to (main )?content", "accessibility jump link", kind="navigation"),
        Rule("generic.js_required", r"You need to enable JavaScript to run this app\.?", "JavaScript-only page shell", kind="shell"),
    ),
)
