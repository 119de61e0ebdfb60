"""With/without snippet checks on real cancer.gov and ACS material (trafilatura's evaldata.json style).

Pages are files of ``shared/corpus`` (see each folder's SOURCES.md). For every page:

- ``with``: sentences and headings that must survive in the record body;
- ``without``: chrome that must not be in the body (TOC, toggles, widgets, syndication notice, PDQ
  "About This PDQ Summary" boilerplate, blog sidebars, date lines, bylines, CMS artifacts);
- ``fields``: exact values of record fields (dotted paths), e.g. dates read from ``<time>``;
- ``headings``: section headings that must exist; ``glossary_min``: at least this many glossary entries;
- ``quarantine``: instead of a record, the page must be quarantined with this error kind (and the
  reason must contain ``reason``).

``bench/quality.py`` runs the same checks on bare trafilatura (and readability-lxml) output; the
test suite (``tests/test_quality_snippets.py``) runs them on the pipeline, so quality cannot drop
silently.
"""

from __future__ import annotations

# Chrome every cancer.gov PDQ summary carries (bare trafilatura keeps all of it).
PDQ_ABOUT = [
    "Reviewers and Updates", "Permission to Use This Summary", "The best way to cite this PDQ summary is",
    "Contact Us for Help", "Physician Data Query (PDQ) is the National Cancer Institute's",
    "Images in this summary are used with permission of the author",
]
NCI_CHROME = [
    "On This Page", "Go to Health Professional Version", "Go to Patient Version", "Enlarge",
    "If you would like to reproduce some or all of this content", "Want to use this content on your website",
    "Updated:", "Posted:", "Reviewed:", "Placeholder slot", "Featured Posts", "Newer Post", "Older Post",
]

CANCER_GOV_HTML: dict[str, dict] = {
    "types__leukemia__patient__cll-treatment-pdq.html": {
        "with": [
            "CLL is a cancer of the blood and bone marrow that usually gets worse slowly.",
            "Signs and symptoms of CLL include swollen lymph nodes and feeling tired.",
            "Anatomy of the bone. The bone is made up of compact bone, spongy bone, and bone marrow.",
        ],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
        "headings": ["General Information About Chronic Lymphocytic Leukemia", "Stage Information for Chronic Lymphocytic Leukemia"],
        "fields": {
            "title": "Chronic Lymphocytic Leukemia Treatment (PDQ®)–Patient Version",
            "dates.last_revised.value": "2024-01-19",
            "dates.last_revised.source": "html_time:updated",
            "audience": "patient",
            "source.family": "nci",
        },
        "glossary_min": 100,
        "pdq_citation_pmid": "26389485",
    },
    "types__leukemia__patient__adult-aml-treatment-pdq.html": {
        "with": ["Adult acute myeloid leukemia (AML) is a type of cancer in which the bone marrow makes a large number of abnormal blood cells"],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
        "glossary_min": 80,
    },
    "types__leukemia__hp__adult-aml-treatment-pdq.html": {
        "with": ["AML is also called acute myelogenous leukemia and acute nonlymphocytic leukemia.",
                 "Estimated new cases and deaths from AML in the United States in 2024:"],
        "without": [*NCI_CHROME, *PDQ_ABOUT, "[PUBMED Abstract]"],
        "headings": ["General Information About Acute Myeloid Leukemia (AML)", "Incidence and Mortality"],
        "fields": {"audience": "health_professional"},
        "reference_pmids_min": 150,
    },
    "types__breast__patient__breast-treatment-pdq.html": {
        "with": ["Breast cancer is a disease in which malignant (cancer) cells form in the tissues of the breast."],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
        "glossary_min": 150,
    },
    "types__breast__hp__breast-treatment-pdq.html": {
        "with": ["Breast cancer is the most common noncutaneous cancer in U.S. women"],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
        "headings": ["Incidence and Mortality"],
        "reference_pmids_min": 300,
    },
    "about-cancer__treatment__cam__patient__cannabis-pdq.html": {
        "with": ["Cannabis, also known as marijuana, is a plant grown in many parts of the world"],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
        "glossary_min": 50,
    },
    "about-cancer__treatment__side-effects__nausea__nausea-pdq.html": {
        "with": ["Nausea and vomiting are serious side effects of cancer therapy"],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
    },
    "types__colorectal__patient__colon-treatment-pdq.html": {
        "with": ["Colon cancer is a disease in which malignant (cancer) cells form in the tissues of the colon."],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
    },
    "about-cancer__treatment__drugs__abemaciclib.html": {
        "with": ["This page contains brief information about abemaciclib (Verzenio)", "Use in Cancer"],
        "without": [*NCI_CHROME],
        "fields": {"dates.published.value": "2017-10-03", "dates.last_revised.value": "2024-01-02", "title": "Abemaciclib"},
    },
    "news-events__cancer-currents-blog__2024__fda-amtagvi-til-therapy-melanoma.html": {
        "with": [
            "In an event more than three decades in the making, the Food and Drug Administration (FDA) has approved lifileucel",
            "TILs that just need a little help",
        ],
        "without": [*NCI_CHROME, "March 5, 2024, by Carmen Phillips", "Subscribe", "Lutathera Shows Promise",
                    "Categories", "Archive"],
        "fields": {"dates.published.value": "2024-03-05", "metadata.byline": "Carmen Phillips"},
        "glossary_min": 10,
    },
    "news-events__cancer-currents-blog__2024__breast-cancer-skip-lymph-node-radiation.html": {
        "with": ["Results from a large clinical have found that some women with early-stage breast cancer may not need"],
        "without": [*NCI_CHROME, "January 23, 2024, by Elia Ben-Ari", "Study Finds Physical Activity May Ease Chemo Brain"],
        "fields": {"dates.published.value": "2024-01-23", "metadata.byline": "Elia Ben-Ari"},
    },
    "news-events__press-releases__2024__cancer-screening-research-network-launches.html": {
        "with": ["The National Institutes of Health (NIH) has launched a clinical trials network to evaluate emerging technologies"],
        "without": [*NCI_CHROME, "NCI Press Release", "NCI Press Office", "240-760-6600"],
        "fields": {"dates.published.value": "2024-02-21"},
    },
    "about-cancer__treatment__types__immunotherapy.html": {
        "with": ["Immunotherapy is a type of cancer treatment that helps your immune system fight cancer."],
        "without": [*NCI_CHROME, "Get Answers", "Connect with a Cancer Information Specialist"],
        "headings": ["How does immunotherapy work against cancer?", "What are the side effects of immunotherapy?"],
    },
    "about-cancer__understanding__what-is-cancer.html": {
        "with": ["Cancer is a disease in which some of the body’s cells grow uncontrollably and spread to other parts of the body."],
        "without": [*NCI_CHROME, "Get email updates from NCI"],
        "headings": ["The Definition of Cancer"],
    },
    "types__leukemia.html": {
        "with": ["Leukemia is a broad term for cancers of the blood cells."],
        "without": [*NCI_CHROME, "An official website of the United States government", "Back To Top"],
        "headings": ["Overview", "Treatment"],
    },
    "Common__PopUps__popDefinition.aspx__id-45622__healthprofessional.html": {
        "with": ["The soft, spongy tissue that has many blood vessels and is found in the center of most bones."],
        "without": [],
        "fields": {"title": "bone marrow"},
    },
    # pages that must never be published
    "publications__dictionaries__cancer-terms__def__leukopenia.html": {
        "quarantine": "JavaScriptShell", "reason": "JavaScript-only shell",
        "without": ["You need to enable JavaScript to run this app", "Skip to main content"],
    },
    "research__participate__clinical-trials__disease__acute-myeloid-leukemia.html": {
        "quarantine": "JavaScriptShell", "reason": "JavaScript-only shell",
        "without": ["You need to enable JavaScript to run this app", "Skip to main content"],
    },
    "Common__PopUps__popDefinition.aspx__id-CDR0000045140__patient.html": {
        "quarantine": "ErrorPage", "reason": "error page",
        "without": ["Page Not Found", "We can't find the page you're looking for."],
    },
    "Common__PopUps__popDefinition.aspx__id-CDR0000044871__patient.html": {
        "quarantine": "ErrorPage", "reason": "redirect page",
        "without": ["Object moved"],
    },
}

CANCER_GOV_MARKDOWN: dict[str, dict] = {
    "types-leukemia-patient-cll-treatment-pdq.md": {
        "with": ["CLL is a cancer of the blood and bone marrow that usually gets worse slowly."],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
        "glossary_min": 100,
        "pdq_citation_pmid": "26389485",
    },
    "types-colorectal-patient-colon-treatment-pdq.md": {
        "with": ["Colon cancer is a type of cancer that forms in the tissues of the colon"],
        "without": [*NCI_CHROME, *PDQ_ABOUT, "changes color.Enlarge"],
    },
    "types-breast-diagnosis.md": {
        "with": ["looks at the activity of 70 genes in the breast cancer tissue"],
        "without": [*NCI_CHROME],
        "glossary_min": 1,  # direct dictionary links: /publications/dictionaries/cancer-terms/def/737131
    },
    "publications-dictionaries-cancer-terms-def-survivorship.md": {
        "quarantine": "JavaScriptShell", "reason": "JavaScript-only shell",
        "without": ["You need to enable JavaScript to run this app"],
    },
}

# ACS printed handouts (text): footer lines become a revision date and disappear from the body.
_ACS_CHROME = ["American Cancer Society, Inc.", "Sociedad Americana Contra El Cáncer, Inc.", "1-800-227-2345",
               "We're here when you need us", "Estamos aquí cuando usted nos necesite", "Rev. ",
               "Models used for illustrative purposes only"]
ACS_TEXT: dict[str, dict] = {
    "english/getting-help-for-nausea-and-vomiting.txt": {
        "with": ["Nausea is an unpleasant feeling in the back of your throat and stomach that may lead to vomiting.",
                 "What causes nausea and vomiting?"],
        "without": _ACS_CHROME,
        "fields": {"title": "What to Do for Nausea and Vomiting", "dates.last_revised.value": "2023-11",
                   "dates.last_revised.raw": "11/23", "source.family": "acs"},
    },
    "english/chemotherapy-for-cancer.txt": {
        "with": ["When should I call the doctor or nurse?"],
        "without": _ACS_CHROME,
        "fields": {"dates.last_revised.value": "2025-06", "source.publisher": "American Cancer Society"},
    },
    "english/after-a-breast-cancer-diagnosis.txt": {
        "with": ["A support group can offer that."],
        "without": _ACS_CHROME,
        "fields": {"dates.last_revised.value": "2024-11"},
    },
    "english/living-with-skin-cancer.txt": {
        "with": [],
        "without": _ACS_CHROME,
        "fields": {"dates.last_revised": None, "notices": [{"kind": "disclaimer",
                                                             "text": "Models used for illustrative purposes only."}]},
    },
    "spanish/after-a-breast-cancer-diagnosis.txt": {
        "with": ["Un grupo de apoyo puede ofrecerle esto."],
        "without": _ACS_CHROME,
        "fields": {"language": "es", "dates.last_revised.value": "2025-03"},
    },
    "spanish/chemotherapy-for-cancer.txt": {
        "with": ["¿Cuándo debo llamar al médico o a la enfermera?"],
        "without": _ACS_CHROME,
        "fields": {"language": "es"},
    },
}
