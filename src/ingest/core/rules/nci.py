"""National Cancer Institute pages (cancer.gov): Markdown exports with front matter, HTML, PDQ XML.

HTML: the content zone is the page's ``<article>`` (h1, body; its ``<footer>`` with the dates and the
syndication notice is page chrome, read for dates before it goes). Landing pages have no
``<article>``/``<main>``: their zone is ``#main-content``. Selectors were read off the 43 real
cancer.gov pages in ``shared/corpus/cancer-gov-html`` (PDQ summaries, topic, drug, blog, press
release and landing pages) and checked over the 124 of ``shared/corpus/cancer-gov-html-more`` (many page
types). ``html_keep``: the article's own ``<footer>`` (a fact sheet's references) and the drug pages'
disclaimer ``<aside>`` are not chrome; every other chrome element inside the zone is logged.
"""

from __future__ import annotations

from ingest.core.rules.base import (
    DATE_ANY,
    HtmlDrop,
    HtmlKeep,
    LicenseTerms,
    PageCheck,
    Profile,
    Rule,
    Signal,
)


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


#: A feature card beside the running text: embedded in it (``div.embedded-entity``, floated right) or in
#: the article footer (a blog post's related posts), not a card of a landing page's card row.
_FEATURE_CARD_BESIDE = (f"/*[{_has_class('feature-card')}]"
                        f"[ancestor::*[{_has_class('embedded-entity')} or {_has_class('article-footer')}]]")
#: A short callout box (under 400 characters: a box holding an article's own story is longer) whose links
#: go to the Cancer Information Service chat or a newsletter sign-up.
_PROMO_CALLOUT = ("/*[contains(@class, 'callout-box')][string-length(normalize-space(.)) < 400]"
                  "[.//a[contains(@href, 'livehelp.cancer.gov') or contains(@href, 'govdelivery.com')]]")

PROFILE = Profile(
    family="nci",
    publisher="National Cancer Institute",
    kind="web_page",
    audience=None,  # front matter or URL says (patient vs. health professional versions)
    audience_by_url=((r"/patient/", "patient"), (r"/hp/", "health_professional"), (r"-hp-pdq$", "health_professional")),
    # PDQ summaries name their version in the H1: "Breast Cancer Treatment (PDQ®)–Health Professional Version"
    # (the Markdown export's front matter says "audienceLevel: patient" on these pages too: the page wins)
    audience_by_heading=((r"[–—-]\s*Health Professional Version\s*$", "health_professional"),
                         (r"[–—-]\s*Patient Version\s*$", "patient")),
    base_url="https://www.cancer.gov",
    title_suffixes=(r"\s+-\s+(NCI|National Cancer Institute)\s*$",),
    # PDQ health-professional summaries: the changes section's heading dates the summary's last revision
    heading_dates=(("nci.pdq_latest_updates", r"Latest Updates to This Summary\s*\((?P<date>\d{1,2}/\d{1,2}/\d{4})\)",
                    "last_revised"),),
    license=LicenseTerms(
        "public_domain",
        "NCI text is a U.S. government work in the public domain; reuse of NCI information: "
        "https://www.cancer.gov/policies/copyright-reuse (some images are copyrighted and licensed to NCI only)",
        "cancer.gov: \"Reuse of NCI Information\" (/policies/copyright-reuse); every page links it",
        page_statements=(
            # PDQ summaries, "Permission to Use This Summary"
            ("nci.license.pdq", r"The content of PDQ documents can be used freely as text\.[^.]{0,300}\."),
            # every other page: the syndication notice (also removed from the body as boilerplate)
            ("nci.license.reuse", r"If you would like to reproduce some or all of this content, see[^.]{0,300}\."),
        ),
    ),
    unlabelled_time="published",  # cancer.gov blog posts: "<time>March 5, 2024</time>, by Carmen Phillips"
    html_zones=("article", "#cgvBody", "main", "[role=main]", "#main-content"),
    html_drops=(
        HtmlDrop("nci.html.on_this_page", ".on-this-page, #cgvOnThisPage", "\"On This Page\" table of contents",
                 "navigation"),
        HtmlDrop("nci.html.version_toggle", ".pdq-hp-patient-toggle",
                 "\"Go to Health Professional/Patient Version\" toggle", "navigation"),
        HtmlDrop("nci.html.page_options", ".page-options, .cgdp-page-options", "Print/Email/share widget", "widget"),
        HtmlDrop("nci.html.syndication", "#nvcgSlPublicUse, .public-use, .syndication",
                 "\"If you would like to reproduce some or all of this content…\" notice on every page", "syndication"),
        HtmlDrop("nci.html.document_dates", ".document-dates",
                 "Posted/Updated/Reviewed date line (read into dates first)", "date_line"),
        HtmlDrop("nci.html.blog_byline", ".blog-post-publishing-info",
                 "blog date and author line (read into dates and metadata.byline first)", "byline"),
        HtmlDrop("nci.html.blog_pagination", "#cgov-blog-post-pagination, .blog-post-newer, .blog-post-older",
                 "\"Newer Post / Older Post\" links", "navigation"),
        HtmlDrop("nci.html.blog_sidebar", "#nvcgSlListBlogRTRail, .right-rail, .blog-sidebar",
                 "blog sidebar: Featured Posts, Categories, Archive", "navigation"),
        HtmlDrop("nci.html.subscribe", "#nvcgSubTitle, .subscribeRSS", "blog \"Subscribe\" link", "widget"),
        HtmlDrop("nci.html.related_resources", ".related-resources, #nvcgRelatedResourcesArea",
                 "\"Related Resources\" link list", "navigation"),
        HtmlDrop("nci.html.enlarge", ".article-image-enlarge", "\"Enlarge\" image link", "widget"),
        HtmlDrop("nci.html.breadcrumb", ".usa-breadcrumb, .cgdpl", "breadcrumb / left navigation", "navigation"),
        HtmlDrop("nci.html.press_contact", ".press-release-date-contact, .media-contact",
                 "press release date and press office contact (the date is read into dates first)", "contact"),
        HtmlDrop("nci.html.pagination", ".usa-pagination", "pager", "navigation"),
        HtmlDrop("nci.html.feature_card", "./" + _FEATURE_CARD_BESIDE,
                 "promotional card beside the text (\"Get Answers >\" Cancer Information Service promo, a \"related "
                 "post\" card) embedded in the body or below it; the cards of a landing page's card rows are its content",
                 "promo"),
        HtmlDrop("nci.html.contact_callout", "./" + _PROMO_CALLOUT,
                 "callout box promoting NCI's Cancer Information Service (\"Have Questions? … Chat: LiveHelp\") or its "
                 "email updates (a govdelivery sign-up link)", "promo"),
    ),
    html_keep=(
        HtmlKeep("nci.html.article_footer", "footer.article-footer",
                 "the article's own footer holds a fact sheet's \"Selected References\" (content); its chrome "
                 "(dates, syndication notice, Related Resources, promotion cards, blog rail) goes by the drops above"),
        HtmlKeep("nci.html.drug_disclaimer", "aside.dis-disclaimer",
                 "the drug pages' medical disclaimer (\"Important: The drug information on this page is meant to be "
                 "educational…\"): kept for the nci.drug_disclaimer rule, which makes it a notice"),
    ),
    error_pages=(
        PageCheck("nci.error_page", "meta:dcterms.type", r"errorpage",
                  "cancer.gov error page (dcterms.type errorpage): the requested page does not exist"),
        PageCheck("nci.error_page_url", "meta:og:url", r".*/errorPages/.*",
                  "cancer.gov error page (og:url is an errorPages address)"),
    ),
    signals=(
        Signal(r"(^|\.)cancer\.gov$", 10, "page URL is on cancer.gov", "url"),
        Signal(r"^NCI$", 10, "front matter names NCI as the source", "front_matter"),
        Signal(r"popDefinition\.aspx", 3, "NCI glossary popup links"),
        Signal(r"National Cancer Institute", 2, "names the publisher"),
        Signal(r" - NCI\b", 2, "NCI title suffix"),
    ),
    rules=(
        Rule("nci.updated", r"\(?Updated:\s*(?P<date>" + DATE_ANY + r")\)?", "page date line", "capture", kind="date_line", field="last_revised"),
        Rule("nci.reviewed", r"Reviewed:\s*(?P<date>" + DATE_ANY + r")", "page date line", "capture", kind="date_line", field="last_reviewed"),
        Rule("nci.posted", r"Posted:\s*(?P<date>" + DATE_ANY + r")", "page date line", "capture", kind="date_line", field="published"),
        Rule(
            "nci.dates_line",
            r"Posted:\s*(?P<date>" + DATE_ANY + r")\s+(?:Updated|Reviewed):\s*" + DATE_ANY,
            "page date line (posted and updated)", "capture", kind="date_line", field="published",
        ),
        Rule(
            "nci.reproduce", r"If you would like to reproduce some or all of this content\b.*",
            "syndication notice repeated on every page", kind="syndication",
        ),
        Rule(
            "nci.syndicate", r"Want to use this content on your website or other digital platform\?.*",
            "syndication call to action", kind="syndication",
        ),
        Rule("nci.print_email", r"(Print|Email|Share|Facebook|Twitter|X|Pinterest|LinkedIn)", "share/print widget", kind="widget"),
        Rule("nci.on_this_page", r"On This Page", "table of contents heading", kind="navigation"),
        Rule("nci.hp_toggle", r"Go to (Health Professional|Patient) Version", "version toggle link", kind="navigation"),
        Rule("nci.enlarge", r"Enlarge( Image)?", "\"Enlarge\" image link", kind="widget"),
        Rule("nci.enlarge_inline", r"(?<=[.)!?:])Enlarge(?= |$)|(?<=\s)Enlarge$", "\"Enlarge\" image link glued to the sentence "
             "before it (Markdown exports of PDQ figures)", "strip", kind="widget", case=True),
        Rule("nci.drug_disclaimer", r"Important: The drug information on this page is meant to be educational\..*",
             "the drug pages' medical disclaimer: a notice, not body text", "notice", kind="notice",
             notice_kind="disclaimer"),
        Rule("nci.placeholder", r"Placeholder slot", "empty CMS slot left in the page", kind="cms_artifact"),
        Rule("nci.subscribe", r"Subscribe", "blog subscribe link", kind="widget"),
        Rule("nci.press_kicker", r"NCI Press Release", "press release label above the headline", kind="navigation",
             within_first=3, case=True),
        Rule("nci.email_updates", r"Get email updates from NCI\b.{0,120}", "newsletter sign-up promo", kind="promo"),
        Rule("nci.email_signup", r"Sign up for (?:NCI['’]s )?(?:free )?email updates\b.{0,160}",
             "newsletter sign-up promo (\"Sign up for NCI's free email updates about cancer research. Subscribe\")",
             kind="promo"),
        Rule("nci.newer_older", r"(< ?)?(Newer|Older) Post( >)?\s*.{0,200}", "blog pagination link", kind="navigation",
             case=True),
        Rule(
            "nci.pdq_citation",
            r"(?P<citation>PDQ®? .{0,120}?Editorial Board\. .+?)\s*\[PMID:\s*(?P<pmid>\d+)\]",
            "how to cite this PDQ summary: kept as the record's citation", "capture", kind="citation",
        ),
        Rule(
            "nci.pdq_about", r"About This PDQ Summary",
            "\"About This PDQ Summary\": the same boilerplate on every PDQ page apart from names "
            "(its purpose paragraph is kept as a notice, its citation as a citation)",
            "drop_section", kind="pdq_about", notice_kind="about", next_pattern=r"Purpose of This Summary",
        ),
    ),
)
