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
        "without": [*NCI_CHROME, "The drug information on this page is meant to be educational"],
        "notices": ["Important: The drug information on this page is meant to be educational."],
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
    "publications__pdq.html": {  # a mini landing page whose content is its four feature cards
        "with": ["Have confidence that you are receiving impartial cancer information from oncology experts",
                 "Our Editorial Process ensures timely updates that reflect the strongest evidence."],
        "without": [*NCI_CHROME],
    },
    "about-cancer__treatment__types__targeted-therapies.html": {
        "with": [],
        "without": [*NCI_CHROME, "Connect with our cancer information specialists", "Chat: LiveHelp"],
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

# Issue 13: pages of many page types (shared/corpus/cancer-gov-html-more, 124 pages; pages.json gives each
# file's page_type). Besides with/without: ``notices`` (text that must be in the record's notices),
# ``nested`` (list items that must be nested items, level 1 or deeper), ``table_cells`` (text that must be
# in a cell of a table block), ``reference_texts`` (in a reference citation), ``figures`` (in the caption of
# a figure block).
# (Related Resources lists: their items must be gone; "Related Resources" itself is also a phrase of the text)
CANCER_GOV_HTML_MORE: dict[str, dict] = {
    # drug information summaries: the medical disclaimer is a notice, not body text, and not lost
    "about-cancer__treatment__drugs__dabrafenib.html": {
        "with": ["Dabrafenib mesylate is approved to be used alone or with trametinib dimethyl sulfoxide to treat"],
        "without": [*NCI_CHROME, "The drug information on this page is meant to be educational"],
        "notices": ["Important: The drug information on this page is meant to be educational. It is not a substitute "
                    "for medical advice."],
    },
    "about-cancer__treatment__drugs__avapritinib.html": {
        "with": ["Avapritinib is not recommended for the treatment of advanced systemic mastocytosis"],
        "without": [*NCI_CHROME, "The drug information on this page is meant to be educational"],
        "notices": ["Important: The drug information on this page is meant to be educational."],
    },
    "about-cancer__treatment__drugs__head-neck.html": {
        "with": ["This page lists cancer drugs approved by the Food and Drug Administration (FDA) for cancer that arises "
                 "in the head or neck region"],
        "without": [*NCI_CHROME],
    },
    # PDQ patient summaries: nested "Key Points" and sub-lists stay nested
    "about-cancer__treatment__side-effects__skin-nail-changes__pruritus-pdq.html": {
        "with": ["Pruritus is an itchy feeling that makes you want to scratch your skin."],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
        "nested": ["Self-care", "Over-the-counter treatments", "Cornstarch and talc"],
    },
    "types__esophageal__patient__esophageal-screening-pdq.html": {
        "with": ["There is no standard or routine screening test for esophageal cancer."],
        "figures": ["Esophagoscopy. A thin, lighted tube is inserted through the mouth"],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
        "nested": ["Esophagoscopy", "Brush cytology"],
    },
    "about-cancer__treatment__cam__patient__coenzyme-q10-pdq.html": {
        "with": ["CoQ10 is a compound that is made in the body."],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
        "nested": ["Ubiquinone."],
    },
    # PDQ health professional summaries: tables with their header rows, nested criteria lists
    "types__testicular__hp__testicular-treatment-pdq.html": {
        "with": ["Testicular cancer is a highly treatable, usually curable cancer that most often develops in young and "
                 "middle-aged men."],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
        "nested": ["AFP 1,000 ng/mL or more and 10,000 ng/mL or less, or"],
        "table_cells": ["Stage"],
    },
    "types__neuroblastoma__hp__neuroblastoma-treatment-pdq.html": {
        "with": ["Dramatic improvements in survival have been achieved for children and adolescents with cancer."],
        "without": [*NCI_CHROME, *PDQ_ABOUT],
    },
    "types__liver__bile-duct-cancer.html": {
        "with": ["Bile duct cancer is a rare disease in which malignant (cancer) cells form in the bile ducts."],
        "without": [*NCI_CHROME],
    },
    # fact sheets: the references in the article footer are kept (as citations), its Related Resources are not
    "types__breast__ibc-fact-sheet.html": {
        "with": ["Inflammatory breast cancer is a rare and very aggressive disease in which cancer cells block lymph "
                 "vessels in the skin of the breast."],
        "without": [*NCI_CHROME, "Chemotherapy and You: Support for People With Cancer"],
        "reference_texts": ["Anderson WF, Schairer C, Chen BE, Hance KW, Levine PH. Epidemiology of inflammatory "
                            "breast cancer"],
    },
    "about-cancer__advanced-cancer__care-choices__care-fact-sheet.html": {
        "with": [],
        "without": [*NCI_CHROME, "Choices for Care When Treatment May Not Be an Option",
                    "Connect with our cancer information specialists", "Chat: LiveHelp"],
    },
    "about-cancer__causes-prevention__risk__tobacco__cigars-fact-sheet.html": {
        "with": ["Cigarettes usually differ from cigars in size and in the type of tobacco used"],
        "without": [*NCI_CHROME, "Handling Nicotine Withdrawal and Triggers When You Decide To Quit"],
    },
    # topic articles: editorial callout boxes stay content
    "about-cancer__coping__survivorship__late-effects.html": {
        "with": ["Some cancer centers and hospitals have programs that focus on long-term follow-up care"],
        "without": [*NCI_CHROME],
        "headings": ["Finding a Follow-Up Program for Survivors"],
    },
    "types__skin__anyone-can-get-skin-cancer.html": {
        "with": ["Anyone can get skin cancer.", "How can I find skin cancer early?"],
        "without": [*NCI_CHROME],
    },
    "about-cancer__causes-prevention__research__aspirin-cancer-risk.html": {
        "with": ["Findings from a large clinical trial, called ASPREE, suggest that"],
        "without": [*NCI_CHROME],
        "figures": ["Taking low-dose aspirin may reduce the risk of colorectal cancer"],
    },
    # cancer type home pages and research listings
    "types__thyroid.html": {
        "with": ["There are four main types of thyroid cancer."],
        "without": [*NCI_CHROME],
    },
    "types__thyroid__research__articles.html": {
        "with": ["selpercatinib improved progression-free survival"],
        "without": [c for c in NCI_CHROME if c != "Posted:"],  # a research listing: each item's "Posted:" date is its own
    },
    # blog posts: figures' captions kept; related-post cards and the blog rail (in the article footer) gone
    "news-events__cancer-currents-blog__2019__oncolytic-virus-improves-immune-cell-metabolism.html": {
        "with": ["Viruses engineered to kill cancer cells are already used to treat one form of skin cancer"],
        "figures": ["A cell infected by a vaccinia virus."],
        "without": [*NCI_CHROME, "Subscribe", "Using Tumor-Targeting Viruses to Treat Cancer",
                    "New Approaches Aim to Improve Cancer Liquid Biopsies"],
    },
    "news-events__cancer-currents-blog__2021__black-white-cancer-disparities-survival-accure.html": {
        "with": ["A multilevel approach to tackling cancer disparities"],
        "without": [*NCI_CHROME, "Subscribe", "Eliminating Racial Disparities in Lung Cancer Treatment",
                    "Removing Stomach to Prevent Cancer Has Lasting Consequences"],
    },
    "ccg__blog__2019__collecting-uniform-clinical-data-for-a-community-resource.html": {
        "with": ["Most of the commonly used cancer cell lines in research do not have clinical"],
        "without": [*NCI_CHROME, "Subscribe"],
    },
    "about-nci__organization__cgh__blog__year-2021.html": {
        "with": ["U.S. and U.K. will convene a scientific cancer summit on November 13-14, 2021."],
        "without": [*NCI_CHROME],
    },
    # press releases and news stories (a story's callout box is content)
    "news-events__press-releases__2016__breast-cancer-genetics-black-women.html": {
        "with": ["The largest study ever to investigate how genetic and biological factors contribute to breast cancer "
                 "risk among black women launched today."],
        "without": [*NCI_CHROME, "NCI Press Office"],
    },
    "news-events__nca50__stories__childhood-cancer-research.html": {
        "with": ["There have been great strides in childhood cancer research in the last 50 years",
                 "The early fight against childhood cancer helped spur support for the National Cancer Act of 1971"],
        "without": [*NCI_CHROME],
    },
    "research__infrastructure__clinical-trials__betsy-brauser-combining-drugs-treat-ovarian-cancer.html": {
        "with": ["Betsy Brauser was diagnosed with stage IIC ovarian cancer in 2009."],
        "without": [*NCI_CHROME],
    },
    # grants pages: their tables are tables; the newsletter sign-up callout is gone
    "grants-training__training__funding__f99.html": {
        "with": ["The NCI Predoctoral to Postdoctoral Fellow Transition (F99/K00) Award"],
        "without": [*NCI_CHROME, "subscribe to the Cancer Training Branch Newsletter"],
        "table_cells": ["Citizens, Foreign Nationals, and U.S. Visa Holders", "Stipends/Salaries"],
    },
    "about-nci__organization__crchd__inp__cusp2ct.html": {
        "with": ["The Connecting Underrepresented Populations to Clinical Trials (CUSP2CT) program"],
        "without": [*NCI_CHROME],
        "table_cells": ["Application Due Date & Purpose"],
    },
    "grants-training__training__about__events__rising-scholars-cancer-research-seminar-series-february-2023.html": {
        "with": ["The NCI Rising Scholars: Cancer Research Seminar Series is an opportunity to highlight the research"],
        "without": [*NCI_CHROME],
    },
    # landing pages whose content is a set of cards: each card kept (title and text)
    "research__leading-progress__stories.html": {
        "with": ["Enrolling in a Clinical Trial in Rural America", "Engaging Primary Care Providers in Cancer Survivorship Care"],
        "without": [*NCI_CHROME],
    },
    "about-nci.html": {
        "with": ["NCI is the federal government's principal agency for cancer research and training."],
        "without": [*NCI_CHROME],
        "headings": ["NCI at a Glance", "Budget & Legislation"],
    },
    "rare-brain-spine-tumor.html": {
        "with": ["Learn about consultations, explore clinical studies, and discover strategies"],
        "without": [*NCI_CHROME],
        "headings": ["Patients", "Providers and Advocates"],
    },
    "about-cancer__diagnosis-staging.html": {
        "with": ["Cancer can cause many different symptoms."],
        "without": [*NCI_CHROME],
    },
    # other page types
    "research__areas__public-health.html": {
        "with": ["Cancer has a significant impact on public health in the United States."],
        "without": [*NCI_CHROME, "NCI Fiscal Year 2025 Professional Judgment Budget Proposal"],  # a card beside the text
    },
    "news-events__cancer-currents-blog__2016__cancer-epidemiology-genomics-research-kathy-helzlsouer-video.html": {
        "with": ["In October 2015, Kathy J. Helzlsouer, M.D., M.H.S., joined NCI’s Division of Cancer Control and "
                 "Population Sciences (DCCPS)"],
        "without": [*NCI_CHROME],
    },
    "about-nci__overview__nci-at-a-glance.html": {
        "with": ["The National Cancer Institute (NCI) leads the cancer research community toward accelerating the rate "
                 "of scientific discovery"],
        "without": [*NCI_CHROME],
    },
    "pediatric-adult-rare-tumor__rare-tumors__rare-bone-tumors__periosteal-osteosarcoma.html": {
        "with": ["Periosteal osteosarcoma, or PO, is a rare type of bone cancer."],
        "without": [*NCI_CHROME],
    },
    "research__infrastructure__cancer-centers__find__iowaholden.html": {
        "with": ["The University of Iowa Holden Comprehensive Cancer Center is the state’s only NCI-Designated "
                 "Comprehensive Cancer Center."],
        "without": [*NCI_CHROME],
    },
    "about-nci__organization__dcb__about__contact__rihab-yassin.html": {
        "with": ["Dr. Rihab Yassin leads the Cancer Cell Biology Branch (CCBB)"],
        "without": [*NCI_CHROME],
    },
    "publications__pdq__information-summaries__cam.html": {
        "with": ["This page lists cancer information summaries maintained by the PDQ Integrative, Alternative, and "
                 "Complementary Therapies Editorial Board."],
        "without": [*NCI_CHROME],
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
