"""The output folder: open the job database there, resuming the same job and refusing a different one."""

import hashlib
import json
from pathlib import Path

from simulator.batch.inputs import Found
from simulator.batch.jobdb import DB_NAME, JobDB, is_job_database
from simulator.batch.outputs import OUTPUT_NAMES

JOB_FILES = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm")


class JobConflict(RuntimeError):
    """The output folder holds something else; nothing was changed."""


def fingerprint(found: Found, description: dict[str, str]) -> str:
    """A digest of the input files (ids and contents), the skipped inputs and the grading set-up."""
    payload = {
        "files": [(f.file_id, f.sha256) for f in found.files],
        "skipped": [(s.input, s.transcript_id, s.reason) for s in found.skipped],
        "job": description,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def input_changes(before: dict[str, str], found: Found) -> str:
    """'2 files changed, 1 new, 3 no longer given' between a stored job and the inputs now."""
    now = {f.file_id: f.sha256 for f in found.files}
    changed = sum(1 for key in now.keys() & before.keys() if now[key] != before[key])
    new, gone = len(now.keys() - before.keys()), len(before.keys() - now.keys())
    parts = [
        f"{changed} file(s) changed" if changed else "",
        f"{new} new" if new else "",
        f"{gone} no longer given" if gone else "",
    ]
    return ", ".join(part for part in parts if part) or "the same files, read with other options"


def setup_changes(before: dict[str, str], description: dict[str, str]) -> str:
    changed = [
        f"{key} {before.get(key)!r} -> {value!r}"
        for key, value in description.items()
        if before.get(key) != value
    ]
    return "; ".join(changed)


def clear(out: Path) -> None:
    """Remove this command's own files from the folder (nothing else)."""
    for name in (*JOB_FILES, *OUTPUT_NAMES):
        (out / name).unlink(missing_ok=True)


def check_is_ours(out: Path) -> bool:
    """Whether the folder holds a job of this program; JobConflict when it holds something else by the
    job database's name, or other files and no job."""
    path = out / DB_NAME
    if path.exists():
        if not is_job_database(path):
            raise JobConflict(f"{path} is not a listenlab batch job; choose an empty or new --out folder")
        return True
    if any(out.iterdir()):
        raise JobConflict(
            f"{out} is not empty and holds no batch job; choose an empty or new --out folder "
            "(--restart clears only a folder that holds a batch job)"
        )
    return False


def open_job(
    out: Path, found: Found, description: dict[str, str], restart: bool = False
) -> tuple[JobDB, bool]:
    """(database, resumed): a new job in an empty or new folder, the same job resumed, or JobConflict.
    `restart` discards a job found there (and only a job: other folders are refused untouched)."""
    out.mkdir(parents=True, exist_ok=True)
    if check_is_ours(out) and restart:
        clear(out)
    db = JobDB(out / DB_NAME)
    meta = db.meta()
    if meta.get("prepared") != "1":
        return db, False
    if meta.get("fingerprint") == fingerprint(found, description):
        return db, True
    reason = setup_changes(meta, description) or input_changes(db.files(), found)
    db.close()
    raise JobConflict(
        f"{out} holds results of a different input ({reason}); use another --out folder, "
        "or --restart to discard them and start again"
    )
