"""The exception tree, organised by what the caller should do.

::

    IngestError
    ├── QuarantineError      the input itself is bad: record it in the manifest, keep going
    │   ├── OversizeInput         (stage "read")    larger than the size cap (checked before reading)
    │   ├── PathologicalInput     (stage "load")    structure that would take unbounded time (e.g. 100k nested brackets)
    │   ├── EmptyInput            (stage "decode")  zero bytes or only whitespace
    │   ├── BinaryInput           (stage "decode")  NUL bytes / not text at all
    │   ├── UndecodableInput      (stage "decode")  no encoding decodes it cleanly
    │   ├── UnsupportedFormat     (stage "load")    file type we have no loader for
    │   ├── MalformedFrontMatter  (stage "parse")   YAML front matter does not parse (carries the YAML error)
    │   ├── NoContent             (stage "extract") nothing left after cleaning
    │   │   ├── JavaScriptShell       the HTML has no content of its own (rendered by JavaScript)
    │   │   └── ErrorPage             an error or redirect page ("Page Not Found", "Object moved")
    │   └── SchemaViolation       (stage "validate") the record failed the pydantic model
    ├── RetryableError       transient (network, 5xx, 429): try again later, nothing is wrong with the input
    └── SkipDocument         nothing to do (e.g. unchanged since the last run)

Never return None for a failure: raise one of these with fields a caller can act on.
"""

from __future__ import annotations


class IngestError(Exception):
    """Base class of every error the pipeline raises on purpose."""


class QuarantineError(IngestError):
    """The input cannot be published; it is listed under ``quarantined`` with stage and reason."""

    stage: str = "normalize"

    def __init__(self, reason: str, *, stage: str | None = None, input: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if stage is not None:
            self.stage = stage
        self.input = input

    @property
    def kind(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:  # pragma: no cover - trivial
        return f"{self.stage}: {self.reason}"


class OversizeInput(QuarantineError):
    stage = "read"


class MalformedSidecar(QuarantineError):
    """The input's ``<file>.meta.json`` names a URL that is not an http(s) URL or a ``fetched_at``
    that is not a timestamp: untrusted metadata never decides a record's id or its version."""

    stage = "read"


class PathologicalInput(QuarantineError):
    stage = "load"


class EmptyInput(QuarantineError):
    stage = "decode"


class BinaryInput(QuarantineError):
    stage = "decode"


class UndecodableInput(QuarantineError):
    stage = "decode"


class UnsupportedFormat(QuarantineError):
    stage = "load"


class MalformedFrontMatter(QuarantineError):
    stage = "parse"


class NoContent(QuarantineError):
    stage = "extract"


class SchemaViolation(QuarantineError):
    stage = "validate"


class RetryableError(IngestError):
    """A transient failure: the same call may succeed later (timeouts, 429, 5xx)."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class SkipDocument(IngestError):
    """Nothing to do for this document (unchanged input); not a failure."""


class ErrorPage(NoContent):
    """The input is an error or redirect page served as content ("Page Not Found", "Object moved")."""


class JavaScriptShell(NoContent):
    """The HTML holds no content of its own: the page is rendered by JavaScript in the browser."""
