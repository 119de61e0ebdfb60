"""National Cancer Institute pages (cancer.gov): Markdown exports with front matter, and HTML."""

from __future__ import annotations

from .base import DATE_ANY, Profile, Rule, Signal

PROFILE = Profile(
    family="nci",
    publisher="National Cancer Institute",
    kind="web_page",
    audience=None,  # front matter or URL says (patient vs. health professional versions)
    audience_by_url=((r"/patient/", "patient"), (r"/hp/", "health_professional")),
    base_url="https://www.cancer.gov",
    title_suffixes=(r"\s+-\s+(NCI|National Cancer Institute)\s*$",),
    html_zones=("#cgvBody", "main", "article", "[role=main]"),
    html_drops=(
        ".on-this-page", "#cgvOnThisPage", ".page-options", ".syndication", ".cgdpl", ".usa-breadcrumb",
        ".pdq-hp-patient-toggle", ".related-resources", ".blog-sidebar", ".usa-pagination",
    ),
    signals=(
        Signal(r"(^|\.)cancer\.gov$", 10, "page URL is on cancer.gov", "url"),
        Signal(r"^NCI$", 10, "front matter names NCI as the source", "front_matter"),
        Signal(r"popDefinition\.aspx", 3, "NCI glossary popup links"),
        Signal(r"National Cancer Institute", 2, "names the publisher"),
        Signal(r" - NCI\b", 2, "NCI title suffix"),
    ),
    rules=(
        Rule("nci.updated", r"Updated:\s*(?P<date>" + DATE_ANY + r")", "page date line", "capture", kind="date_line", field="last_revised"),
        Rule("nci.reviewed", r"Reviewed:\s*(?P<date>" + DATE_ANY + r")", "page date line", "capture", kind="date_line", field="last_reviewed"),
        Rule("nci.posted", r"Posted:\s*(?P<date>" + DATE_ANY + r")", "page date line", "capture", kind="date_line", field="published"),
        Rule(
            "nci.reproduce", r"If you would like to reproduce some or all of this content\b.*",
            "syndication notice repeated on every page", kind="syndication",
        ),
        Rule("nci.print_email", r"(Print|Email|Share|Facebook|Twitter|X|Pinterest|LinkedIn)", "share/print widget", kind="widget"),
        Rule("nci.on_this_page", r"On This Page", "table of contents heading", kind="navigation"),
        Rule("nci.hp_toggle", r"Go to (Health Professional|Patient) Version", "version toggle link", kind="navigation"),
    ),
)
