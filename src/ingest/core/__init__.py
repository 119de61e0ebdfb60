"""The pure core: one raw input's bytes and metadata in, one validated :class:`~.models.Record` out.

Decode, load into blocks (:mod:`.loaders`), detect the family and apply its site rules
(:mod:`.rules`, :mod:`.clean`), read the title, repair redactions, read the glossary, sections,
citations and dates (the steps in order: :mod:`.normalize`), sanitize, and build the record
(:mod:`.record`; :mod:`.pipeline` turns a bad input into a ``Quarantined`` outcome instead of an
exception). Also the shared contracts every layer uses:
the error taxonomy (:mod:`.errors`), the record model (:mod:`.models`), canonical serialization
(:mod:`.serialize`), the input metadata (:mod:`.inputs`).

May import: the standard library's pure modules and parsing libraries (lxml, trafilatura,
markdown-it, pydantic...). Never: another ingest layer, Prefect, the network (requests), the disk
(os, pathlib, shutil, tempfile), processes or the clock (time). ``tests/test_architecture.py``
checks this with import-linter.
"""
