"""American Cancer Society pages (cancer.org) and printed handouts, as text or HTML.

The same rules hold whatever the format: the text rules below match blocks, so the chrome cancer.org
pages carry (donation banner, 24/7 helpline box, language links, the "Written by" box, the copyright
notice) goes from a text copy, a Markdown export and an HTML page alike. HTML is walked in the page's
``<main>`` (``html_zones``) instead of trafilatura's guess, so the profile's rules see every block
(trafilatura keeps or drops the chrome unpredictably, and loses the "Last Revised" line). The chrome
patterns tolerate markup: a banner split into elements (``<strong>LIMITED OFFER:</strong> 3X Match!``)
becomes blocks that each consist only of banner pieces, and such blocks match too.

No real cancer.org HTML is in the corpus: the HTML side was checked on the hand-written fixtures in
``tests/fixtures/acs_html`` (the strings are cancer.org's, the markup plausible, not copied).
"""

from __future__ import annotations

from ingest.core.rules.base import DATE_ANY, HtmlDrop, LicenseTerms, Profile, Rule, Signal

# Pieces of the donation banner ("LIMITED OFFER: 3X Match! Give today and make a world of difference.")
# and the donation box ("Your gift is 100% tax deductible"); a block made only of these is chrome.
_GIVE = (
    r"(?:LIMITED OFFER:?|\d+X Match!?|Give today and make a world of difference[.!]?|Give (?:today|now)[.!]?|"
    r"Donate(?: (?:now|today))?[.!]?|Your gift is 100\s*%\s*tax[- ]deductible[.!]?|and make a world of difference[.!]?)"
)
# Pieces of the 24/7 helpline box; a block made only of these is chrome.
_HELP = (
    r"(?:(?:Our )?24/7 cancer helpline(?:\s+provides information and answers for people dealing with cancer)?[.!]?|"
    r"provides information and answers for people dealing with cancer[.!]?|"
    r"We can connect you with trained cancer information specialists\b[^.]{0,300}\.?|"
    r"(?:Live Chat\s+)?(?:is\s+)?available weekdays\b.{0,100}?(?:\bET\b\.?|$|(?=\s*(?:Call us|Available any|1-800)))|"
    r"Live Chat\.?|Chat live\.?|Call us(?: any ?time)?(?: at)?(?:\s*1-800-227-2345)?\.?|1-800-227-2345\.?|"
    r"Available any time of day or night\.?)"
)
# The language links of a page ("Español / PDFs by language").
_LANG = r"(?:Español|English|PDFs by language|Other languages|Ver en español|En español|Ver en inglés)"

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
    # the article lives in <main>; the site header, navigation and footer are chrome the HTML loader
    # drops from every page (header, nav, footer, aside)
    html_zones=("main", "[role=main]", "article", "#main-content", "#content"),
    reference_paragraphs=True,
    html_drops=(
        HtmlDrop("acs.html.breadcrumb", ".breadcrumb, .cmp-breadcrumb, [aria-label=Breadcrumb], [aria-label=breadcrumb]",
                 "breadcrumb trail (Home / Cancer Types / ...), not content", "navigation"),
        HtmlDrop("acs.html.text_size", ".text-size, .text-resize", "text-size widget", "widget"),
        HtmlDrop("acs.html.share", ".social-share, .share-tools, .sharing", "share/print widget", "widget"),
    ),
    title_suffixes=(r"\s*\|\s*American Cancer Society\s*$", r"\s*\|\s*cancer\.org\s*$"),
    signals=(
        Signal(r"(^|\.)cancer\.org$", 10, "page URL is on cancer.org", "url"),
        Signal(r"American Cancer Society", 3, "names the publisher"),
        Signal(r"\+\s*-\s*Text Size", 3, "cancer.org's text-size widget"),
        Signal(r"Last Medical Review:", 4, "cancer.org's review-date footer"),
        Signal(r"1-800-227-2345", 3, "the ACS helpline number"),
        Signal(r"American Cancer Society medical and editorial content team", 4, "cancer.org's byline"),
        Signal(r"American Cancer Society medical information is copyrighted material", 4,
               "cancer.org's copyright notice on every page"),
        Signal(r"showDesktop,\s*showTablet,\s*showMobile", 2, "cancer.org's page template token leaked into the text"),
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
            "acs.template_token", r"\bshow(?:Desktop|Tablet|Mobile)(?:\s*,\s*show(?:Desktop|Tablet|Mobile))+\b",
            "page template token (visibility flags of a component) leaked into the text", "strip", kind="cms_artifact",
            case=True,
        ),
        Rule(
            "acs.donation_banner_inline", r"LIMITED OFFER:?\s*\d+X Match!?(?:\s*Give today and make a world of difference[.!]?)?",
            "donation banner glued to the text around it", "strip", kind="promo", case=True,
        ),
        Rule(
            "acs.split_dates", r"Last (?:Medical Review|Revised):\s*" + DATE_ANY,
            "review and revision dates run together on one line", "split", search=True,
        ),
        Rule("acs.donation_banner", r"(?:\s*" + _GIVE + r")+\s*", "donation banner and donation box", kind="promo"),
        Rule("acs.helpline", r"(?:\s*" + _HELP + r")+\s*", "24/7 helpline box (chat, phone, hours) on every page",
             kind="call_to_action"),
        Rule("acs.language_links", _LANG + r"(?:\s*[/|•·]?\s*" + _LANG + r")*", "links to the page in other languages",
             kind="navigation", case=True),
        Rule("acs.written_by", r"Written by:?|Developed by:?", "label of the byline box", kind="byline"),
        Rule(
            "acs.byline",
            r"(?:(?:Written|Developed) by:?\s*)?(?P<byline>(?:The )?American Cancer Society medical and editorial content team)"
            r"(?:\s+with medical review and contribution by\b[^.]*)?\.?",
            "the byline: kept in metadata.byline", "capture", kind="byline",
        ),
        Rule(
            "acs.team", r"Our team is made up of doctors and (?:oncology certified |master['’]s-prepared )?nurses\b.{0,400}",
            "description of the editorial team in the byline box", kind="byline",
        ),
        Rule(
            "acs.editorial_policy", r"(?:Learn more about|View) (?:our|the American Cancer Society['’]s?) (?:editorial|content) "
            r"(?:policy|policies|team)\.?", "link of the byline box", kind="byline",
        ),
        Rule(
            "acs.copyright_notice", r"American Cancer Society medical information is copyrighted material\b.{0,400}",
            "the page's copyright notice: kept as a notice, not body", "notice", kind="notice", notice_kind="syndication",
        ),
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
