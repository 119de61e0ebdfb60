"""Anything we have no profile for: only rules that hold on every site.

HTML from unknown sites is extracted by trafilatura (``loaders.html.load_html_generic``), not by
a zone walk: on the generic benchmarks it keeps the article body better than fixed zones do.
"""

from __future__ import annotations

from ingest.core.rules.base import PageCheck, Profile, Rule

_JS = r"You need to enable JavaScript to run this app|(Please )?enable JavaScript (in your browser )?to (view|use|run|see)"

PROFILE = Profile(
    family="generic",
    publisher=None,
    kind="web_page",
    signals=(),
    rules=(
        Rule("generic.skip_to_content", r"Skip to (main )?content", "accessibility jump link", kind="navigation"),
        Rule("generic.js_required", r"You need to enable JavaScript to run this app\.?", "JavaScript-only page shell", kind="shell"),
    ),
    error_pages=(
        PageCheck(
            "generic.javascript_shell", "text", _JS,
            "JavaScript-only shell: the page has no content of its own (the page says \"You need to enable "
            "JavaScript to run this app\"; its text is rendered in the browser, e.g. dictionary definitions and "
            "clinical-trial listings)",
            max_chars=80, error="JavaScriptShell",
        ),
        PageCheck(
            "generic.redirect_page", "title", r"\s*(Object moved|Moved( Permanently| Temporarily)?|Found|"
            r"30[12378]( [A-Za-z ]+)?|Redirect(ing)?( to\b.*)?)\s*",
            "HTTP redirect page (\"Object moved\"): it only points to another address, which must be fetched instead",
            max_chars=300,
        ),
        PageCheck(
            # issue 17: a stub whose only job is <meta http-equiv="refresh" content="0; url=..."> (its title
            # may be anything, "Moved" among them): the content lives at the other address
            "generic.meta_refresh_stub", "text", r"<meta\b[^>]*http-equiv\s*=\s*[\"']?refresh[\"']?[^>]*\burl\s*=",
            "redirect stub (<meta http-equiv=\"refresh\">): it only sends the browser to another address, which "
            "must be fetched instead",
            max_chars=200,
        ),
        PageCheck(
            # issue 13: the Drupal/Symfony redirect body ("Redirecting to https://…", its link text the whole
            # target URL, so longer than any max_chars): a title that is nothing but "Redirecting to <URL>"
            "generic.redirecting_to_url", "title", r"\s*Redirecting to\s+(https?:)?//\S+\s*",
            "redirect page (title \"Redirecting to <URL>\", a 301 body): it only points to another address, which "
            "must be fetched instead",
        ),
        PageCheck(
            # issue 13: the CDN's own error body (Akamai: title "Error", "Reference #221.d7c3…"), served for
            # a 404 or a 503 from the origin
            "generic.cdn_error_page", "text", r"An error occurred while processing your request\.",
            "CDN error page (\"An error occurred while processing your request.\" and a reference number): the "
            "server sent an error instead of the page",
            max_chars=300,
        ),
        PageCheck(
            "generic.not_found_page", "title", r"\s*((Error )?404\b.*|(Page )?Not Found\b.*|.*\bPage Not Found\b.*|"
            r"403 Forbidden|Access Denied|Service Unavailable|50[234]\b.*|Error)",
            "error page (\"Page Not Found\"): the requested page does not exist",
            max_chars=600,
        ),
    ),
)
