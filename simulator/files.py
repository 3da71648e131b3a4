"""Files in and out: UTF-8 input read with the line of a bad byte, outputs written atomically (a
temporary file in the same folder, then a rename) with cells a spreadsheet shows as text."""

import functools
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# spreadsheet_text quotes a text starting with one of these or with a quote (first character only).
QUOTED_STARTS = frozenset((*FORMULA_STARTS, "'"))
BOM = "\ufeff"


class FileProblem(ValueError):
    """A file that cannot be read or written as asked; the message names it and says what to do."""


def spreadsheet_text(value: object) -> object:
    """A CSV cell that a spreadsheet will not run: text starting like a formula gets a leading quote
    (and so does text starting with a quote, so that `cell_text` gives every text back exactly)."""
    if isinstance(value, str) and value[:1] in QUOTED_STARTS:
        return "'" + value
    return value


def cell_text(cell: str) -> str:
    """The text a `spreadsheet_text` cell was made from."""
    return cell[1:] if cell.startswith("'") else cell


def bad_byte(data: bytes, error: UnicodeDecodeError) -> tuple[int, str]:
    """(line number, 'not UTF-8 text: byte 0xNN at column C; save the file as UTF-8') of a decode error."""
    line = data.count(b"\n", 0, error.start) + 1
    column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
    reason = f"not UTF-8 text: byte 0x{data[error.start]:02x} at column {column}; save the file as UTF-8"
    return line, reason


def utf8_text(data: bytes, source: str) -> str:
    """The bytes as text (a leading byte-order mark dropped), or FileProblem naming the bad byte's line."""
    try:
        return data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as error:
        line, reason = bad_byte(data, error)
        raise FileProblem(f"{source}:{line}: {reason}") from error


def read_utf8(path: Path) -> str:
    """A UTF-8 text file, or FileProblem saying why it cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FileProblem(f"{path}: cannot read: {error.strerror or error}") from error
    return utf8_text(data, str(path))


def utf8_lines(stream: IO[bytes]) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text or None, reason or None) for each line of a binary stream; a line that is
    not UTF-8 comes with the reason instead of its text, and the lines after it are still read."""
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield number, None, bad_byte(raw, error)[1]
            continue
        yield number, text.removeprefix(BOM) if number == 1 else text, None


def same_file(first: Path, second: Path) -> bool:
    """True when two paths name one file (links and relative parts resolved)."""
    first, second = Path(first), Path(second)
    if first.exists() and second.exists():
        return os.path.samefile(first, second)
    return first.resolve() == second.resolve()


def check_output(path: Path, inputs: Iterable[Path] = ()) -> None:
    """Raise FileProblem when `path` cannot take an output: it is one of the inputs, a folder, or its
    folder does not exist."""
    path = Path(path)
    for source in inputs:
        if same_file(path, source):
            raise FileProblem(f"{path}: the output is the input file {source}; choose another output path")
    if path.is_dir():
        raise FileProblem(f"{path}: is a folder; give a file name for the output")
    if not path.parent.is_dir():
        raise FileProblem(f"{path}: the folder {path.parent} does not exist; create it or choose another")


@contextmanager
def replacing_file(path: Path) -> Iterator[Path]:
    """A temporary path next to `path` to write the whole output to; it is moved into place only when
    the block completes, and removed on an error (the old file, if any, is left as it was).
    FileProblem when the folder is missing or not writable."""
    path = Path(path)
    check_output(path)
    try:
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as error:
        raise FileProblem(f"{path}: cannot write in {path.parent}: {error.strerror or error}") from error
    os.close(handle)
    try:
        yield Path(partial)
        _keep_mode(path, partial)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


@contextmanager
def replacing(path: Path, newline: str | None = None, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text stream whose content replaces `path` only when complete (see `replacing_file`)."""
    with replacing_file(path) as partial, open(partial, "w", encoding=encoding, newline=newline) as stream:
        yield stream


@functools.cache
def process_umask() -> int:
    """The process's umask (read once: reading it means setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _keep_mode(path: Path, partial: str) -> None:
    """Give the new file the permissions of the file it replaces, or those a plain open() would give."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~process_umask()
    os.chmod(partial, mode)
