"""ingest: normalize patient-facing cancer information into validated, cited JSON records."""

__version__ = "0.1.0"

# Bumped whenever cleaning/extraction output changes for the same input; recorded in provenance and
# used (with the raw sha256) to decide whether a document must be re-normalized.
PIPELINE_VERSION = "2026.12.4"
