"""Prompt files kept next to the code, loaded by name and versioned by file stem ("grade_v1")."""

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parent
VERSIONED = re.compile(r"^(?P<name>[a-z0-9_]+?)_v(?P<number>\d+)$")


@dataclass(frozen=True)
class Prompt:
    """A prompt text; `version` (the file stem, e.g. "grade_v1") is stored with what it produced."""

    name: str
    version: str
    text: str

    def fill(self, **values: object) -> str:
        """The text with every $placeholder replaced (a missing value raises KeyError)."""
        return fill(self.text, **values)

    def sections(self) -> dict[str, str]:
        """The parts of a prompt file written as `## name` headings, by name."""
        parts = re.split(r"^## +(\S+) *\n", self.text, flags=re.MULTILINE)
        return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}

    def section(self, name: str) -> str:
        """One `## name` part of the file (KeyError naming the prompt file if it is missing)."""
        try:
            return self.sections()[name]
        except KeyError:
            raise KeyError(f"prompt {self.version} has no section '## {name}'") from None


def fill(text: str, **values: object) -> str:
    """Replace every $placeholder in a text (a missing value raises KeyError)."""
    return Template(text).substitute({key: str(value) for key, value in values.items()})


def fenced(label: str, text: str) -> str:
    """Text from outside (a transcript, a learner) as a labelled block its content cannot close: the
    fence is a line of tildes longer than any run of tildes in the text."""
    longest = max((len(run) for run in re.findall(r"~+", text)), default=0)
    fence = "~" * max(4, longest + 1)
    return f"{fence} {label}\n{text}\n{fence}"


def prompt_versions(name: str, folder: Path = PROMPTS_DIR) -> list[Path]:
    """The files for a prompt name, oldest version first."""
    files = [
        path
        for path in folder.glob(f"{name}_v*.md")
        if (m := VERSIONED.match(path.stem)) and m["name"] == name
    ]
    return sorted(files, key=lambda path: int(VERSIONED.match(path.stem)["number"]))


def load_prompt(name: str, folder: Path = PROMPTS_DIR) -> Prompt:
    """Load "grade_v1" exactly, or "grade" as its latest version."""
    exact = VERSIONED.match(name)
    path = folder / f"{name}.md" if exact else next(iter(prompt_versions(name, folder)[::-1]), None)
    if path is None or not path.is_file():
        raise FileNotFoundError(f"no prompt file for {name!r} in {folder}")
    base = VERSIONED.match(path.stem)["name"]
    return Prompt(name=base, version=path.stem, text=path.read_text(encoding="utf-8"))
