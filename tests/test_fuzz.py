"""Random bytes and structures into every reader of outside input: nothing escapes but our own errors."""

import io
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import typer
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from simulator.cli import app
from simulator.cli_grading import TurnRow, read_turn_rows, register
from simulator.files import FileProblem, utf8_lines, utf8_text
from simulator.personas import Persona, PersonaError, load_persona, parse_persona
from simulator.terminal import terminal_pieces, terminal_text
from simulator.transcripts import Transcript, TranscriptError, Unusable, load_transcript, read_file
from simulator.transcripts.reading import READERS
from tests.fakes import FakeGrader
from tests.persona_factory import persona_data

FUZZ = settings(
    max_examples=60,
    deadline=2000,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CONTROL = {chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)]} - {"\n", "\t"}
runner = CliRunner()


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh folder for one example (tmp_path is shared by every example of a test)."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def soup(fragments: list[str], max_size: int = 40) -> st.SearchStrategy[str]:
    """Text made of format-relevant fragments and random characters, in any order."""
    pieces = st.sampled_from(fragments) | st.text(max_size=8)
    return st.lists(pieces, max_size=max_size).map("".join)


def encoded(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """UTF-8 of the text, sometimes with random bytes spliced in."""
    return st.tuples(text, st.binary(max_size=4), st.integers(0, 400)).map(
        lambda parts: (lambda data: data[: parts[2]] + parts[1] + data[parts[2] :])(parts[0].encode())
    )


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)

# ----- transcripts

TRANSCRIPT_FRAGMENTS = [
    "\n",
    "\r\n",
    "\r",
    "\ufeff",
    "\x00",
    ",",
    '"',
    "\t",
    ":",
    " ",
    "WEBVTT",
    "WEBVTT\n\n",
    "-->",
    "00:00:01.000",
    "00:00:02,500",
    " --> ",
    "1\n",
    "<v Ann>",
    "<v.loud Bob>",
    "</v>",
    "<b>",
    "NOTE",
    "Ann: ",
    "Bob: ",
    "Coach: ",
    "Client: ",
    "[00:01] ",
    "http://",
    "speaker,text\n",
    "role,content\n",
    "transcript_id,speaker,text\n",
    '{"messages": [',
    '{"role": "user", "content": ',
    '{"speaker": ',
    '"text": ',
    '{"transcript_id": 1, ',
    '"name": ',
    "[",
    "]",
    "{",
    "}",
    "null",
    "1e999",
    "-0",
    "[" * 3000,
    "9" * 5000,
    "x" * 140_000,
    '"\\ud800"',
]


@FUZZ
@given(suffix=st.sampled_from(sorted(READERS)), data=encoded(soup(TRANSCRIPT_FRAGMENTS)) | st.binary())
def test_any_transcript_file_is_read_or_refused_with_a_reason(suffix, data):
    with scratch() as folder:
        path = folder / f"fuzz{suffix}"
        path.write_bytes(data)
        for result in read_file(path, path.name, max_chars=5_000):
            assert isinstance(result, Transcript | Unusable)
            assert isinstance(result, Transcript) or result.reason.strip()
        try:
            load_transcript(path, max_chars=5_000)
        except TranscriptError as error:
            assert str(error).strip()


@FUZZ
@given(
    records=st.lists(
        st.dictionaries(
            st.sampled_from(
                ["speaker", "text", "role", "content", "name", "transcript_id", "messages", "timestamp", "id"]
            ),
            JSON_VALUES,
            max_size=5,
        ),
        max_size=6,
    )
)
def test_any_jsonl_records_are_read_or_refused_with_a_reason(records):
    with scratch() as folder:
        path = folder / "fuzz.jsonl"
        path.write_text("\n".join(json.dumps(record) for record in records), encoding="utf-8")
        results = list(read_file(path, path.name))
        assert results and all(isinstance(r, Transcript) or r.reason.strip() for r in results)


# ----- personas

YAML_FRAGMENTS = [
    "id: ",
    "title: ",
    "hidden:\n",
    "  background: ",
    "layers:\n",
    "- ",
    "  - ",
    "\n",
    "  ",
    "\t",
    ": ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "<<: *a",
    "!!binary ",
    "!!str ",
    "!!python/object:os.system ",
    "!!timestamp ",
    "!!float ",
    "!!int ",
    "!!bool ",
    "!!set ",
    "!!omap ",
    "!!pairs ",
    "!!null ",
    "2024-02-30",
    "2024-13-01T25:61:00",
    "0x",
    "0o",
    "1e999",
    ".nan",
    "~",
    "|",
    ">",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "'",
    '"',
    "#",
    "\ufeff",
    "\x00",
    "\x85",
    "\u2028",
    "9" * 5000,
]


@FUZZ
@given(data=encoded(soup(YAML_FRAGMENTS)) | st.binary())
def test_any_persona_file_loads_or_is_refused_with_problems(data):
    with scratch() as folder:
        path = folder / "fuzz.yaml"
        path.write_bytes(data)
        try:
            assert isinstance(load_persona(path), Persona)
        except PersonaError as error:
            assert error.problems and all(problem.startswith(str(path)) for problem in error.problems)


def replaced(data: object, path: list, value: object) -> object:
    """The data with the value at a path of keys and indexes replaced (the path cut where it ends)."""
    if not path or not isinstance(data, dict | list) or not data:
        return value
    keys = list(data) if isinstance(data, dict) else list(range(len(data)))
    key = keys[path[0] % len(keys)]
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[key] = replaced(data[key], path[1:], value)
    return copy


@FUZZ
@given(path=st.lists(st.integers(0, 20), max_size=5), value=JSON_VALUES)
def test_a_persona_with_any_value_anywhere_is_valid_or_refused_naming_a_field(path, value):
    text = yaml.safe_dump(replaced(persona_data(), path, value), allow_unicode=True)
    try:
        assert isinstance(parse_persona(text, "fuzz.yaml"), Persona)
    except PersonaError as error:
        assert error.problems and all(problem.startswith("fuzz.yaml") for problem in error.problems)


# ----- grade-turns rows and UTF-8 lines

ROW_FRAGMENTS = [
    "[" * 3000,
    "9" * 5000,
    '"\\ud800"',
    '{"id": ',
    '"text": ',
    '"context": ',
    "1",
    '"a"',
    "null",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\n",
    "\r",
]


@FUZZ
@given(data=encoded(soup(ROW_FRAGMENTS, max_size=60)) | st.binary())
def test_any_grade_turns_line_is_a_row_or_a_bad_row_with_its_line(data):
    rows = list(read_turn_rows(io.BytesIO(data)))
    numbers = [number for number, _ in rows]
    assert numbers == sorted(set(numbers)) and all(1 <= n <= data.count(b"\n") + 1 for n in numbers)
    for _, item in rows:
        assert isinstance(item, TurnRow) or (isinstance(item, str) and item.strip())


@FUZZ
@given(data=encoded(soup(ROW_FRAGMENTS, max_size=60)) | st.binary(max_size=300))
def test_grade_turns_on_any_input_exits_with_a_code_not_a_traceback(data):
    grader = typer.Typer()
    register(grader, make_grader=lambda name, settings: FakeGrader())
    with scratch() as folder:
        source, output = folder / "in.jsonl", folder / "out.jsonl"
        source.write_bytes(data)
        result = runner.invoke(grader, ["grade-turns", str(source), "-o", str(output)])
        assert result.exit_code in (0, 1), result.output
        good = sum(isinstance(item, TurnRow) for _, item in read_turn_rows(io.BytesIO(data)))
        assert len(output.read_text(encoding="utf-8").splitlines()) == good


@FUZZ
@given(data=st.binary())
def test_utf8_lines_keep_every_line_and_name_each_bad_one(data):
    lines = list(utf8_lines(io.BytesIO(data)))
    assert len(lines) == len(io.BytesIO(data).readlines())
    for _, text, reason in lines:
        assert (text is None) != (reason is None)
    try:
        utf8_text(data, "in.txt")
    except FileProblem as error:
        assert str(error).startswith("in.txt:") and "not UTF-8" in str(error)


# ----- what reaches the terminal


ESCAPE_FRAGMENTS = ["\x1b", "[", "]", "0;", "2J", "31m", "\x07", "\x1b\\", "\x9b", "\x9d", "P", "\r", "\n"]


def cut(text: str, cuts: list[int]) -> list[str]:
    """The text in pieces at the given positions, as a stream would deliver it."""
    bounds = sorted({0, len(text), *(position for position in cuts if position < len(text))})
    return [text[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


@FUZZ
@given(text=soup(ESCAPE_FRAGMENTS), cuts=st.lists(st.integers(0, 200), max_size=6))
def test_no_control_character_reaches_the_terminal_however_the_stream_is_cut(text, cuts):
    assert not CONTROL & set(terminal_text(text))
    assert not CONTROL & set("".join(terminal_pieces(cut(text, cuts))))
    assert "".join(terminal_pieces([text])) == terminal_text(text)


@FUZZ
@given(text=st.text().filter(lambda text: not CONTROL & set(text)), cuts=st.lists(st.integers(0, 50)))
def test_text_without_control_characters_reaches_the_terminal_unchanged(text, cuts):
    assert "".join(terminal_pieces(cut(text, cuts))) == text


# ----- command-line options

OPTION_WORDS = [
    "--persona",
    "-p",
    "stressed-partner",
    "--resume",
    "--script",
    "--json",
    "--seed",
    "--no-save",
    "--speaker",
    "scripted",
    "--grader",
    "offline",
    "-o",
    "--output",
    "--help",
    "check",
    "--base-url",
    "--model",
    "x",
    "",
    "-",
    "--",
    "0",
    "-1",
    "nan",
]
COMMANDS = [["personas"], ["personas", "check"], ["grade-turns"], ["eval-grader"], ["chat"]]


@settings(FUZZ, max_examples=40)
@given(
    command=st.sampled_from(COMMANDS),
    words=st.lists(
        st.sampled_from([*OPTION_WORDS, "FILE", "BADFILE", "DIR"]) | st.text(max_size=6), max_size=6
    ),
)
def test_any_command_line_exits_with_a_code_and_a_message(command, words):
    with scratch() as folder:
        (folder / "turns.txt").write_text("Hello.\n/end\n", encoding="utf-8")
        (folder / "bad.bin").write_bytes(b"\xff\xfe{\n")
        where = {"FILE": str(folder / "turns.txt"), "BADFILE": str(folder / "bad.bin"), "DIR": str(folder)}
        argv = [*command, *(where.get(word, word) for word in words)]
        env = {"LISTENLAB_DB_URL": f"sqlite:///{folder / 'db.sqlite'}", "LISTENLAB_SPEAKER": "scripted"}
        result = runner.invoke(app, argv, env=env, input="")
        assert result.exception is None or isinstance(result.exception, SystemExit), (argv, result.output)
        assert result.exit_code in (0, 1, 2), (argv, result.output)
        if result.exit_code:
            assert result.output.strip(), argv


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_the_fuzzed_commands_exist(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
