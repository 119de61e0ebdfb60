"""The operator interface: the ``ingest`` command line and what only it uses.

- :mod:`.main`: the parser, the command registry, errors to exit codes (console script ``ingest``);
- :mod:`.common`: exit codes, :class:`~.common.UsageError`, output per ``--quiet``/``--json``, Prefect
  start-up checks, the normalize summary: shared by every command module;
- one module per command family: :mod:`.normalize` (normalize, replay), :mod:`.records` (validate,
  verify, list, show), :mod:`.inspect`, :mod:`.fetch` (fetch, serve);
- what those render: :mod:`.show` (records in a terminal), the inspect HTML page (:mod:`.inspect_page`:
  one file in, the page out; :mod:`.inspect_view`: the source view and where removals are in it, pure;
  :mod:`.inspect_render`: the HTML), :mod:`.progress` (the rich bar or plain lines).

May import every other layer (core, store, fetch, orchestration); nothing imports this package.
Imports nothing heavy at module level: ``ingest --help`` stays fast.
"""
