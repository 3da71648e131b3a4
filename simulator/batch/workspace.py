"""A batch job for uploaded files (the Batch page): save uploads, run, read results back, zip the outputs."""

import csv
import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from simulator.batch.outputs import OUTPUT_NAMES
from simulator.batch.runner import BatchOptions, BatchProgress, BatchSummary, run_batch
from simulator.files import cell_text

MAX_UNZIPPED_BYTES = 1_000_000_000


@dataclass(frozen=True)
class Upload:
    """An uploaded file: its name and bytes (a .zip is unpacked)."""

    name: str
    data: bytes


def safe_relative(name: str) -> Path | None:
    """A member name as a path inside the upload folder, or None when it points elsewhere or is hidden."""
    parts = [part for part in PurePosixPath(name.replace("\\", "/")).parts if part not in ("", ".")]
    if not parts or any(part == ".." or part.startswith(".") or part == "__MACOSX" for part in parts):
        return None
    return Path(*parts)


def unzip(upload: Upload, folder: Path) -> list[str]:
    """Unpack an uploaded zip into folder/<zip name>/; returns the problems (never writes outside folder)."""
    problems, total = [], 0
    with zipfile.ZipFile(io.BytesIO(upload.data)) as archive:
        for member in archive.infolist():
            relative = safe_relative(member.filename)
            if member.is_dir() or relative is None:
                continue
            total += member.file_size
            if total > MAX_UNZIPPED_BYTES:
                return [
                    *problems,
                    f"{upload.name}: unpacks to over {MAX_UNZIPPED_BYTES // 10**6} MB; the rest was left out",
                ]
            target = folder / Path(upload.name).stem / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
    return problems


def save_uploads(uploads: list[Upload], folder: Path) -> list[str]:
    """Write uploads into an emptied folder; returns problems (a broken zip, for one)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    problems = []
    for upload in uploads:
        relative = safe_relative(upload.name) or Path("upload")
        if upload.name.lower().endswith(".zip"):
            try:
                problems += unzip(upload, folder)
            except zipfile.BadZipFile:
                problems.append(f"{upload.name}: not a readable zip file")
            continue
        target = folder / relative.name
        if target.exists():
            problems.append(f"two uploads are named {relative.name}; the second was left out")
            continue
        target.write_bytes(upload.data)
    return problems


def read_csv_rows(path: Path) -> list[dict]:
    """The rows of a CSV output with their texts as written (no spreadsheet quoting), for display."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as stream:
        return [{key: cell_text(value) for key, value in row.items()} for row in csv.DictReader(stream)]


@dataclass
class BatchWorkspace:
    """One browser session's batch: a private folder, the last run's summary and any problems."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="listenlab-batch-")))
    summary: BatchSummary | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def out(self) -> Path:
        return self.root / "results"

    def run(
        self, uploads: list[Upload], options: BatchOptions, progress: BatchProgress | None = None
    ) -> BatchSummary:
        """Grade the uploads from scratch (earlier results in this workspace are replaced)."""
        self.summary, self.problems = None, save_uploads(uploads, self.inputs)
        options = options.model_copy(update={"inputs": [str(self.inputs)], "out": self.out, "restart": True})
        self.summary = run_batch(options, progress)
        return self.summary

    def rows(self, name: str) -> list[dict]:
        """The rows of one of the CSV outputs."""
        return read_csv_rows(self.out / name)

    def file(self, name: str) -> bytes:
        return (self.out / name).read_bytes()

    def zipped(self) -> bytes:
        """All outputs in one zip."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in OUTPUT_NAMES:
                if (self.out / name).is_file():
                    archive.write(self.out / name, name)
        return buffer.getvalue()
