"""American Cancer Society pages (cancer.org) and printed handouts, as text or HTML."""

from __future__ import annotations

from ingest.core.rules.base import DATE_ANY, LicenseTerms, Profile, Rule, Signal

PROFILE = Profile(
    license=LicenseTerms(
        "copyrighted",
        "© American Cancer Society, Inc. All rights reserved: reuse needs the Society's permission",
        "cancer.org text is the American Cancer Society's copyright (its pages and handouts say \"© <year> "
        "American Cancer Society, Inc.\")",
        page_statements=(
            ("acs.license.copyright", r"(?:©|&copy;|&#169;)\s*\d{4},?\s*(?:American Cancer Society|Sociedad Americana Contra el Cáncer),?"
                                      r"\s*Inc\.?(?:\s*(?:All rights reserved|Todos los derechos reservados)\.?)?"),
        ),
    ),
    family="acs",
    publisher="American Cancer Society",
    kind="web_page",
    audience="patient",
    base_url="https://www.cancer.org",
    title_suffixes=(r"\s*\|\s*American Cancer Society\s*$", r"\s*\|\s*cancer\.org\s*$"),
    signals=(
        Signal(r"(^|\.)cancer\.org$", 10, "page URL is on cancer.org", "url"),
        Signal(r"American Cancer Society", 3, "names the publisher"),
        Signal(r"\+\s*-\s*Text Size", 3, "cancer.org's text-size widget"),
        Signal(r"Last Medical Review:", 4, "cancer.org's review-date footer"),
        Signal(r"1-800-227-2345", 3, "the ACS helpline number"),
    ),
    rules=(
        Rule(
            "acs.breadcrumb", r"(?P<crumbs>[A-Z][\w ,’'()/]*?(?:--[A-Za-z][\w ,’'()/-]*)+)",
            "site breadcrumb (Leukemia--Acute Lymphocytic), not the title", "capture", kind="breadcrumb",
            within_first=2, case=True,
        ),
        Rule("acs.text_size", r"\+\s*-\s*Text Size", "text-size widget", kind="widget"),
        Rule(
            "acs.topic", r"(?P<topic>.+?)\s+TOPICS", "section name followed by the TOPICS menu button",
            "capture", kind="navigation", within_first=4, case=True,
        ),
        Rule("acs.topics", r"TOPICS", "menu button", kind="navigation", case=True),
        Rule(
            "acs.last_medical_review", r"Last Medical Review:\s*(?P<date>" + DATE_ANY + r")",
            "review date footer", "capture", kind="date_line", field="last_reviewed",
        ),
        Rule(
            "acs.last_revised", r"Last Revised:\s*(?P<date>" + DATE_ANY + r")",
            "revision date footer", "capture", kind="date_line", field="last_revised",
        ),
        Rule(
            "acs.handout_revision", r"No\.\s*(?:SPA)?\d+\s+Rev\.\s*(?P<date>\d{1,2}/\d{2,4})\.?",
            "handout catalogue number with its revision month", "capture", kind="date_line", field="last_revised",
        ),
        Rule("acs.catalogue_number", r"No\.\s*(?:SPA)?\d{5,}\.?", "handout catalogue number without a revision date", kind="footer"),
        Rule(
            "acs.copyright", r"©\s*\d{4},?\s*(American Cancer Society|Sociedad Americana Contra el Cáncer),?\s*Inc\.?",
            "copyright footer (English and Spanish handouts)", kind="footer",
        ),
        Rule(
            "acs.learn_more", r"(To learn more|For more information|For cancer information)\b.*(cancer\.org|1-800-227-2345).*",
            "helpline / website call to action at the end of handouts", kind="call_to_action",
        ),
        Rule(
            "acs.learn_more_es", r"(Para obtener (más )?información|Para más información)\b.*(cancer\.org|1-800-227-2345).*",
            "helpline / website call to action (Spanish handouts)", kind="call_to_action",
        ),
        Rule("acs.here_when_you_need_us", r"We['’]re here when you need us\.?", "slogan", kind="call_to_action"),
        Rule("acs.here_when_you_need_us_es", r"Estamos aquí cuando usted nos necesite\.?", "slogan (Spanish handouts)",
             kind="call_to_action"),
        Rule("acs.models_disclaimer", r"Models used for illustrative purposes only\.?",
             "photo credit disclaimer of printed handouts", "notice", kind="notice", notice_kind="disclaimer"),
    ),
)
