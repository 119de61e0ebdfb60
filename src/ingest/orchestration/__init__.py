"""Prefect orchestration: flows, tasks, worker processes and the temporary API server.

- :mod:`.normalize_flow`: the normalize flow (discover, reuse unchanged, normalize in batches, publish);
- :mod:`.fetch_flow`: the fetch flow and the per-source deployments ``ingest serve`` serves;
- :mod:`.workers`: the local process pool batches run on, and what a worker does with a batch;
- :mod:`.server`: Prefect's temporary API server, started early for CLI runs;
- :mod:`.lifeline`: child processes (that server, the workers) that end with their parent;
- :mod:`.run_state`: a run's final state (``CompletedWithProblems``, ``fail_on_problems``) and its events;
- :mod:`.progress`: progress of a run (Prefect run logs and the sink the CLI attaches);
- :mod:`.report`: the run report (report.md and its Prefect artifact).

May import: :mod:`ingest.core`, :mod:`ingest.store`, :mod:`ingest.fetch` and Prefect. Never
:mod:`ingest.cli`. ``flows/`` at the repository root only re-exports these flows for deployments.
"""
