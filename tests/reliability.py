"""Helpers of the reliability tests (issue 6): run `ingest normalize` in a subprocess, kill it at a
fault point, and check what a reader would see in OUT_DIR."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from ingest.core.models import Record

from .helpers import ROOT

EXTRA = "\n\nAn extra paragraph that only the second version of this page has, long enough to be body text.\n"
NEW_PAGE = (
    "---\ntitle: A new page about leukemia\nurl: https://www.cancer.gov/types/leukemia/new-page\n---\n\n"
    "This page was added in the second version of the corpus. It explains leukemia treatment options.\n"
)


def seed_corpus(raw: Path) -> None:
    """The five seeds of raw/: version 1 of the corpus."""
    raw.mkdir(parents=True, exist_ok=True)
    for p in sorted((ROOT / "raw").iterdir()):
        if p.is_file():
            shutil.copy2(p, raw / p.name)


def second_version(raw: Path) -> None:
    """Two pages change, one is removed, one is added."""
    for name in ("000_1cf3df3bac4fc228.txt", "004_c67a55daeefbee0f.txt"):
        with open(raw / name, "a", encoding="utf-8") as f:
            f.write(EXTRA)
    (raw / "003_a791fc4135c499f1.txt").unlink()
    (raw / "010_new.md").write_text(NEW_PAGE, encoding="utf-8")


def cli_env(api_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_FAULT")}
    env.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "INGEST_WORKERS": "1", **extra})
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def normalize_cmd(raw: Path, out: Path, *more: str) -> list[str]:
    return [sys.executable, "-m", "ingest.cli.main", "normalize", str(raw), "--out", str(out),
            "--workers", "1", "--batch-size", "2", "--quiet", *more]


def run_cli(cmd: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def start_paused(cmd: list[str], env: dict[str, str], at: int, timeout: float = 120) -> tuple[subprocess.Popen, str]:
    """Start ``cmd`` with ``INGEST_FAULT_AT=at``; return once it sleeps at that fault point (its name)."""
    proc = subprocess.Popen(cmd, env={**env, "INGEST_FAULT_AT": str(at)}, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, cwd=ROOT, start_new_session=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("ingest-fault: "):
            return proc, line.split(" ", 2)[2].strip()
        if time.monotonic() > deadline:
            break
    kill(proc)
    raise AssertionError(f"the run ended before fault point {at}: {''.join(seen)[-2000:]}")


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the run and everything it started (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)
    if proc.stderr:
        proc.stderr.close()


def reader_view_problems(out: Path, allowed: dict[str, set[str]]) -> list[str]:
    """What a reader could trip over in ``out`` right now: a manifest that does not parse, a listed
    record that is missing, any record file that does not parse or validate, a record whose content
    is neither the old nor the new version (``allowed``: id -> content hashes), a torn JSONL line."""
    problems = []
    try:
        manifest = json.loads((out / "manifest.json").read_bytes())
    except (OSError, ValueError) as e:
        return [f"manifest.json: {e}"]
    for e in manifest["records"]:
        if not (out / e["path"]).is_file():
            problems.append(f"listed record {e['path']} is missing")
    for p in sorted((out / "records").glob("*.json")):
        try:
            r = Record.model_validate_json(p.read_bytes())
        except ValueError as e:
            problems.append(f"{p.name}: partial or invalid: {str(e)[:200]}")
            continue
        if r.content_sha256 not in allowed.get(r.id, set()):
            problems.append(f"{p.name}: content is neither the old nor the new version")
    for name in ("records.jsonl", "changes.jsonl", "chunks.jsonl", "chunk-changes.jsonl"):
        path = out / name
        if path.exists():
            data = path.read_bytes()
            if data and not data.endswith(b"\n"):
                problems.append(f"{name}: torn last line")
            for line in data.splitlines():
                try:
                    json.loads(line)
                except ValueError:
                    problems.append(f"{name}: a line does not parse")
    for p in sorted((out / "history").rglob("*.json")) if (out / "history").is_dir() else []:
        try:
            Record.model_validate_json(p.read_bytes())
        except ValueError:
            problems.append(f"history {p.name}: partial or invalid")
    return problems


def published_files(out: Path) -> dict[str, bytes]:
    """What two runs must agree on byte for byte: records/, manifest.json, records.jsonl, chunks.jsonl."""
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted((out / "records").iterdir())}
    for name in ("manifest.json", "records.jsonl", "chunks.jsonl"):
        files[name] = (out / name).read_bytes()
    return files
