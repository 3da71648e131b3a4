"""Find the input files (files, folders, globs), name them, and check each is readable UTF-8 text."""

import codecs
import glob
import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from simulator.transcripts import is_supported, unsupported_reason

CHUNK = 1 << 20
GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class InputFile:
    """A file to read: its id (path relative to the input it was found under) and content digest."""

    file_id: str
    path: Path
    sha256: str


@dataclass(frozen=True)
class SkippedInput:
    """An input that could not be used, with the reason (a row of skipped.csv)."""

    input: str
    transcript_id: str
    reason: str


@dataclass
class Found:
    """What the inputs expand to: usable files, in order, and what was skipped."""

    files: list[InputFile]
    skipped: list[SkippedInput]


def is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def expand(argument: str, exclude: Path) -> Iterator[tuple[Path, str]] | str:
    """(file, id) pairs for one INPUT argument, or the reason it gives nothing."""
    path = Path(argument)
    if path.is_file():
        return iter([(path, path.name)])
    if path.is_dir():
        return folder_files(path, exclude)
    if GLOB_CHARS & set(argument):
        matches = sorted(Path(m) for m in glob.glob(argument, recursive=True))
        files = [m for m in matches if m.is_file() and not inside(m, exclude)]
        root = glob_root(argument)
        return iter([(m, relative_id(m, root)) for m in files]) if files else "the pattern matches no file"
    return "no such file or folder"


def folder_files(folder: Path, exclude: Path) -> Iterator[tuple[Path, str]]:
    """Every visible file below a folder, sorted, except the output folder."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not is_hidden(path, folder) and not inside(path, exclude):
            yield path, relative_id(path, folder)


def glob_root(pattern: str) -> Path:
    """The folder before the first wildcard of a pattern."""
    fixed = list(itertools.takewhile(lambda part: not GLOB_CHARS & set(part), Path(pattern).parts))
    return Path(*fixed) if fixed else Path(".")


def relative_id(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def digest(path: Path) -> tuple[str, str | None]:
    """(sha256, problem) of a file; the problem says where it stops being UTF-8 text."""
    hasher, decoder, offset, problem = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")(), 0, None
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            hasher.update(chunk)
            if problem is None:
                problem = utf8_problem(decoder, chunk, offset)
            offset += len(chunk)
    if problem is None:
        problem = utf8_problem(decoder, b"", offset, final=True)
    return hasher.hexdigest(), problem


def utf8_problem(decoder, chunk: bytes, offset: int, final: bool = False) -> str | None:
    """Where the bytes stop being UTF-8 (offsets count from the start of the file), or None."""
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError as exc:
        carried = len(exc.object) - len(chunk)  # bytes held over from the previous chunk
        where = f"byte 0x{exc.object[exc.start]:02x} at offset {offset - carried + exc.start}"
        return f"not UTF-8 text ({where}); save it as UTF-8"
    return None


def unreadable_reason(exc: OSError) -> str:
    """Why a file found a moment ago cannot be read now (it was removed, or access was taken away)."""
    if isinstance(exc, FileNotFoundError):
        return "the file was removed while the batch was reading it"
    return f"could not read the file: {exc.strerror or exc}"


def find_inputs(arguments: list[str], exclude: Path) -> Found:
    """Expand INPUT arguments into files; unusable ones (and repeats) become skipped rows."""
    found, seen = Found([], []), {}
    for argument in arguments:
        expanded = expand(argument, exclude)
        if isinstance(expanded, str):
            found.skipped.append(SkippedInput(argument, "", expanded))
            continue
        for path, file_id in expanded:
            add_file(found, seen, path, file_id)
    return found


def add_file(found: Found, seen: dict[Path, str], path: Path, file_id: str) -> None:
    """Digest one file and add it, or add why it is skipped."""
    key = path.resolve()
    if key in seen:
        found.skipped.append(
            SkippedInput(str(path), file_id, f"the same file was given twice (first as {seen[key]})")
        )
        return
    seen[key] = str(path)
    if not is_supported(path):
        found.skipped.append(SkippedInput(str(path), file_id, unsupported_reason(path)))
        return
    try:
        sha, problem = digest(path)
    except OSError as exc:  # removed or made unreadable after the folder was listed
        sha, problem = "", unreadable_reason(exc)
    if problem:
        found.skipped.append(SkippedInput(str(path), file_id, problem))
        return
    found.files.append(InputFile(file_id, path, sha))
