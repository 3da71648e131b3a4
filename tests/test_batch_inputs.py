"""Bad input never crashes a run or loses graded work: each gives a clear line in skipped.csv."""

import gc
import time
from pathlib import Path

import pytest

from simulator.batch.collect import collect
from simulator.batch.inputs import CHUNK, Found, InputFile, add_file, digest, find_inputs
from tests.test_batch_support import DATA, make_corpus, read_rows, run


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def huge_transcript(path: Path, size: int = 50_000_000) -> Path:
    block = "".join(
        f"client: I keep going round in circles about it, day {i}\ncoach: mm-hm, tell me more\n"
        for i in range(4000)
    )
    with path.open("w", encoding="utf-8") as stream:
        while stream.tell() < size:
            stream.write(block)
    return path


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    """One run over good transcripts mixed with every kind of bad input."""
    root = tmp_path_factory.mktemp("bad")
    inputs = root / "in"
    write(inputs, "good.csv", "speaker,text\nclient,I am tired\ncoach,You sound worn out.\n")
    write(inputs, "empty.txt", "")
    write(inputs, "only_client.csv", "speaker,text\nclient,Hello?\nclient,Anyone there?\n")
    write(inputs, "slides.pptx", "not a transcript")
    write(inputs, "latin1.txt", "client: caf\u00e9 again\ncoach: go on\n".encode("latin-1"))
    write(inputs, "columns.csv", "who,said\nclient,hi\n")
    write(inputs, "nonames.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello there\n")
    write(
        inputs,
        "dupes.jsonl",
        '{"transcript_id": "t1", "speaker": "client", "text": "a"}\n'
        '{"transcript_id": "t1", "speaker": "coach", "text": "b"}\n'
        '{"transcript_id": "t2", "speaker": "client", "text": "c"}\n'
        '{"transcript_id": "t1", "speaker": "coach", "text": "d"}\n',
    )
    write(root / "other", "good.csv", "speaker,text\nclient,Another file\ncoach,Same name?\n")
    huge_transcript(inputs / "huge.txt")
    started = time.perf_counter()
    arguments = [inputs, root / "other", inputs / "good.csv", root / "missing.csv"]
    summary = run(arguments, root / "out", listeners=["coach"])
    seconds = time.perf_counter() - started
    skipped = {
        (row["transcript_id"] or row["input"]): row["reason"]
        for row in read_rows(root / "out" / "skipped.csv")
    }
    return summary, skipped, seconds, root


def test_the_good_transcripts_are_graded(bad_run):
    summary, _, _, root = bad_run
    rows = read_rows(root / "out" / "turns.csv")
    assert summary.transcripts == 2 and summary.failed == 0
    assert {row["transcript_id"] for row in rows} == {"good.csv", "dupes.jsonl#t1"}


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("empty.txt", "empty file"),
        ("only_client.csv", "no listener turns: 'coach' is not among the speakers client (1 turn)"),
        ("slides.pptx", "unknown extension '.pptx'; supported: .csv, .jsonl"),
        ("latin1.txt", "not UTF-8 text (byte 0xe9 at offset 11); save it as UTF-8"),
        ("columns.csv", "the CSV header has no 'speaker' or 'text' column (found: 'who', 'said')"),
        ("nonames.vtt", "captions carry no speaker names"),
        ("dupes.jsonl#t2", "no listener turns"),
        ("huge.txt", "transcript is over the limit of 5,000,000 characters of text"),
    ],
)
def test_each_bad_input_has_a_clear_reason(bad_run, key, reason):
    assert reason in bad_run[1][key]


def test_a_duplicate_transcript_id_is_skipped_naming_the_first(bad_run):
    _, _, _, root = bad_run
    rows = [
        row for row in read_rows(root / "out" / "skipped.csv") if row["transcript_id"] == "dupes.jsonl#t1"
    ]
    assert len(rows) == 1 and "duplicate transcript id 'dupes.jsonl#t1' (first read from" in rows[0]["reason"]


def test_two_files_with_the_same_id_keep_the_first(bad_run):
    _, _, _, root = bad_run
    rows = [
        row
        for row in read_rows(root / "out" / "skipped.csv")
        if row["input"] == str(root / "other" / "good.csv")
    ]
    assert len(rows) == 1 and rows[0]["reason"].startswith("duplicate transcript id 'good.csv'")


def test_the_same_file_given_twice_is_skipped_once(bad_run):
    _, _, _, root = bad_run
    rows = [row for row in read_rows(root / "out" / "skipped.csv") if "given twice" in row["reason"]]
    assert [row["input"] for row in rows] == [str(root / "in" / "good.csv")]


def test_a_missing_path_is_skipped(bad_run):
    assert bad_run[1][str(bad_run[3] / "missing.csv")] == "no such file or folder"


def test_the_50_mb_transcript_does_not_slow_the_run(bad_run):
    assert bad_run[2] < 20


def test_the_report_lists_the_skipped_inputs(bad_run):
    report = (bad_run[3] / "out" / "report.html").read_text()
    assert "Inputs skipped (12)" in report and "captions carry no speaker names" in report


def test_a_vtt_without_speaker_names_alone_gives_nothing_to_grade(tmp_path):
    write(tmp_path / "in", "plain.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n")
    summary = run([tmp_path / "in"], tmp_path / "out")
    assert summary.transcripts == 0 and summary.skipped == 1
    assert read_rows(tmp_path / "out" / "turns.csv") == []


def test_globs_expand_with_ids_relative_to_the_pattern_root():
    found = find_inputs([str(DATA / "*.vtt")], exclude=DATA / "nowhere")
    assert [f.file_id for f in found.files] == ["teams_maria_priya.vtt", "zoom_maria_tom.vtt"]
    assert (
        find_inputs([str(DATA / "*.nothing")], exclude=DATA).skipped[0].reason
        == "the pattern matches no file"
    )


def test_hidden_files_in_folders_are_ignored(tmp_path):
    write(tmp_path, ".DS_Store", b"\x00\x01")
    write(tmp_path, "a.txt", "client: hi\ncoach: hello\n")
    found = find_inputs([str(tmp_path)], exclude=tmp_path / "out")
    assert [f.file_id for f in found.files] == ["a.txt"] and found.skipped == []


def test_a_broken_character_across_read_chunks_is_located_in_the_file(tmp_path):
    path = write(tmp_path, "edge.txt", b"a" * (CHUNK - 1) + b"\xc3(" + b"b" * 10)
    assert digest(path)[1] == f"not UTF-8 text (byte 0xc3 at offset {CHUNK - 1}); save it as UTF-8"
    assert digest(write(tmp_path, "ok.txt", "caf\u00e9".encode()))[1] is None


def test_a_transcript_removed_while_the_folder_is_read_is_skipped_with_its_reason(tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=3, listener_turns=2)
    doomed = corpus / "call_0001.csv"

    class RemoveSecondFile:
        """Progress that removes the second transcript as soon as the first one has been read."""

        def start(self, phase, total, done=0):
            pass

        def advance(self, done, failed=0):
            doomed.unlink(missing_ok=True)

    summary = run([corpus], tmp_path / "out", progress=RemoveSecondFile())
    skipped = read_rows(tmp_path / "out" / "skipped.csv")
    assert summary.transcripts == 2 and summary.graded == 4 and summary.failed == 0
    assert [(row["transcript_id"], row["reason"]) for row in skipped] == [
        ("call_0001.csv", "the file was removed while the batch was reading it")
    ]


def test_a_file_removed_between_listing_and_digest_is_a_skipped_input(tmp_path):
    found = Found([], [])
    add_file(found, {}, tmp_path / "gone.csv", "gone.csv")
    assert found.files == []
    assert [(s.transcript_id, s.reason) for s in found.skipped] == [
        ("gone.csv", "the file was removed while the batch was reading it")
    ]


def interrupt(_file: InputFile) -> None:
    raise KeyboardInterrupt


def test_reading_pauses_the_cycle_collector_and_leaves_it_as_it_was(tmp_path):
    path = write(tmp_path, "a.csv", "speaker,text\nclient,hi\ncoach,hello\n")
    files, during = [InputFile("a.csv", path, "")], []
    assert len(collect(files, [], 1000, lambda _: during.append(gc.isenabled())).transcripts) == 1
    assert during == [False] and gc.isenabled()
    with pytest.raises(KeyboardInterrupt):
        collect(files, [], 1000, interrupt)
    assert gc.isenabled()
    gc.disable()
    try:
        collect(files, [], 1000)
        assert not gc.isenabled()
    finally:
        gc.enable()
