"""The title of a reference-list entry (issue 14: an ACS "References" list gives authors, title, year, URL)."""

from __future__ import annotations

import pytest

from ingest.core.references import reference_title

# (name, reference as written, its title or None)
CASES = [
    ("Vancouver style as cancer.org writes it", "Jabbour E, Kantarjian H. Acute lymphoblastic leukemia: 2024 update on "
     "diagnosis and management. Am J Hematol. 2024;99(4):726-741.", "Acute lymphoblastic leukemia: 2024 update on "
     "diagnosis and management"),
    ("PDQ style with a colon after the authors", "Siegel RL, Miller KD, Jemal A: Cancer statistics, 2020. CA Cancer J "
     "Clin 70 (1): 7-30, 2020.", "Cancer statistics, 2020"),
    ("et al. after the authors", "Pui CH, Yang JJ, Hunger SP, et al.: Childhood Acute Lymphoblastic Leukemia: Progress "
     "Through Collaboration. J Clin Oncol 33 (27): 2938-48, 2015.",
     "Childhood Acute Lymphoblastic Leukemia: Progress Through Collaboration"),
    ("four initials and a name particle", "Henricks LM, Lunenburg CATC, de Man FM, et al.: DPYD genotype-guided dose "
     "individualisation of fluoropyrimidine therapy. Lancet Oncol 19 (11): 1459-1467, 2018.",
     "DPYD genotype-guided dose individualisation of fluoropyrimidine therapy"),
    ("an author with a Latin-1 capital", "Hero B, Clement N, Øra I, et al.: Genomic Profiles of Neuroblastoma. J Pediatr "
     "Hematol Oncol 40 (2): 93-98, 2018.", "Genomic Profiles of Neuroblastoma"),
    ("a one-word title", "Howard P, Twycross R, Shuster J, et al.: Cannabinoids. J Pain Symptom Manage 46 (1): 142-9, 2013.",
     "Cannabinoids"),
    ("an organisation as author", "American Society of Clinical Oncology. Leukemia - Acute Lymphoblastic - ALL - Adult: "
     "Treatment. Accessed at https://www.cancer.net on March 1, 2024.", "Leukemia - Acute Lymphoblastic - ALL - Adult: Treatment"),
    ("an agency with dotted initials as author", "U.S. Food and Drug Administration. FDA approves blinatumomab. 2018.",
     "FDA approves blinatumomab"),
    ("a title that ends in a question mark keeps it", "Mack A, Joy J: Marijuana As Medicine? The Science Beyond the "
     "Controversy. National Academy Press, 2001.", "Marijuana As Medicine?"),
    ("a reference that starts with its title has none", "Cancer Facts & Figures 2024. Atlanta: American Cancer Society; "
     "2024.", None),
    ("a capitalised title first is not an organisation", "Chemotherapy Side Effects. American Cancer Society website. "
     "Accessed 2024.", None),
    ("a title-first study report has none", "Cancer risks in BRCA2 mutation carriers. The Breast Cancer Linkage "
     "Consortium. J Natl Cancer Inst 91 (15): 1310-6, 1999.", None),
    ("a sentence is no reference", "Most side effects go away after treatment ends.", None),
]


@pytest.mark.parametrize("name,text,title", CASES, ids=[c[0] for c in CASES])
def test_reference_title(name, text, title):
    assert reference_title(text) == title
