"""The personas the app offers: the shipped folder merged with the user's own folder (theirs win)."""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir

from simulator.files import FileProblem, replacing
from simulator.personas import (
    PERSONAS_DIR,
    Persona,
    PersonaError,
    load_persona,
    parse_persona,
    persona_files,
    persona_text,
)

PROBLEM = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+))?: (?P<field>[^:]+): (?P<reason>.*)$", re.S)


def user_personas_dir() -> Path:
    """Where personas saved in the app go: LISTENLAB_PERSONAS_DIR, else the user's data folder."""
    configured = os.environ.get("LISTENLAB_PERSONAS_DIR")
    return Path(configured) if configured else Path(user_data_dir("listenlab", appauthor=False)) / "personas"


@dataclass(frozen=True)
class PersonaEntry:
    """A usable persona and the file it came from."""

    persona: Persona
    path: Path
    source: Literal["shipped", "yours"]


@dataclass(frozen=True)
class ProblemRow:
    """One persona problem split into file, line, field and reason for display."""

    file: str
    line: int | None
    field: str
    reason: str


def split_problem(problem: str) -> ProblemRow:
    """Split a 'file:line: field: reason' problem line (as PersonaError gives them)."""
    match = PROBLEM.match(problem)
    if match is None:
        return ProblemRow(file="", line=None, field="", reason=problem)
    line = match["line"]
    return ProblemRow(match["file"], int(line) if line else None, match["field"], match["reason"])


@dataclass
class Catalog:
    """Every usable persona by id, and the problems of files that could not be used."""

    entries: dict[str, PersonaEntry] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def personas(self) -> dict[str, Persona]:
        return {persona_id: entry.persona for persona_id, entry in self.entries.items()}


class PersonaCatalog:
    """Loads the merged persona folders, re-reading only when a file changed."""

    def __init__(self, shipped_dir: Path = PERSONAS_DIR, user_dir: Path | None = None):
        self.shipped_dir = Path(shipped_dir)
        self.user_dir = Path(user_dir) if user_dir else user_personas_dir()
        self._signature: tuple = ()
        self._catalog = Catalog()

    def _files(self) -> list[tuple[Path, Literal["shipped", "yours"]]]:
        shipped = [(path, "shipped") for path in persona_files(self.shipped_dir)]
        return shipped + [(path, "yours") for path in persona_files(self.user_dir)]

    def load(self) -> Catalog:
        """The current catalogue; a bad file is reported in `problems` and left out."""
        files = self._files()
        signature = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path, _ in files)
        if signature != self._signature:
            self._catalog, self._signature = self._read(files), signature
        return self._catalog

    @staticmethod
    def _read(files: list[tuple[Path, Literal["shipped", "yours"]]]) -> Catalog:
        catalog = Catalog()
        for path, source in files:
            try:
                persona = load_persona(path)
            except PersonaError as exc:
                catalog.problems.extend(exc.problems)
                continue
            catalog.entries[persona.id] = PersonaEntry(persona, path, source)
        return catalog

    def text_of(self, persona_id: str) -> str:
        """The YAML text of a persona's file."""
        return self.load().entries[persona_id].path.read_text(encoding="utf-8")

    def save(self, content: str | bytes, source: str = "<editor>") -> Persona:
        """Validate persona YAML (editor text, or the bytes of an upload) and save it as the user's
        `<id>.yaml`; raises PersonaError, saving nothing, with the problems `personas check` gives."""
        text = persona_text(content, source) if isinstance(content, bytes) else content
        persona = parse_persona(text, source)
        target = self.user_dir / f"{persona.id}.yaml"
        try:
            self.user_dir.mkdir(parents=True, exist_ok=True)
            with replacing(target) as stream:
                stream.write(text)
        except (OSError, FileProblem) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise PersonaError(source, [f"{target}: cannot save: {reason}"]) from exc
        return persona
