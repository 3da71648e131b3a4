"""Atomic output files: complete or untouched, and with the permissions a plain write would give."""

import csv
import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.batch.outputs import csv_fields
from simulator.batch.workspace import read_csv_rows
from simulator.files import FORMULA_STARTS, cell_text, replacing, spreadsheet_text


def test_a_new_output_gets_the_permissions_of_a_plain_write(tmp_path):
    plain, atomic = tmp_path / "plain.csv", tmp_path / "atomic.csv"
    plain.write_text("a", encoding="utf-8")
    with replacing(atomic) as stream:
        stream.write("a")
    assert oct(atomic.stat().st_mode & 0o777) == oct(plain.stat().st_mode & 0o777)


def test_a_replaced_output_keeps_its_permissions_and_a_failed_write_leaves_it_as_it_was(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o600)
    with pytest.raises(RuntimeError), replacing(target) as stream:
        stream.write("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text(encoding="utf-8") == "old" and list(tmp_path.iterdir()) == [target]
    with replacing(target) as stream:
        stream.write("new")
    assert target.read_text(encoding="utf-8") == "new" and target.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("cell", ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_formula_like_text_is_written_as_text(cell):
    assert spreadsheet_text(cell) == "'" + cell


def test_plain_text_and_numbers_are_left_alone():
    assert [spreadsheet_text(v) for v in ("It sounds hard.", -3, 2.5, None)] == [
        "It sounds hard.",
        -3,
        2.5,
        None,
    ]


@pytest.mark.parametrize("text", ["=1+1", "'=1+1", "'quoted'", "plain", "-", ""])
def test_cell_text_gives_back_exactly_the_text_written(text):
    assert cell_text(spreadsheet_text(text)) == text


def test_the_batch_page_reads_csv_outputs_back_as_the_texts_written(tmp_path):
    texts = ['=HYPERLINK("http://x")', "'already quoted", "It sounds hard."]
    path = tmp_path / "turns.csv"
    with replacing(path, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text"])
        writer.writerows([[spreadsheet_text(text)] for text in texts])
    assert "'=HYPERLINK" in path.read_text(encoding="utf-8")
    assert [row["text"] for row in read_csv_rows(path)] == texts


TRICKY = st.lists(
    st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "\r\n", '"', ",", "'", " ", ";", "é", "😀"])
    | st.text(max_size=4),
    max_size=8,
).map("".join)
CSV_VALUES = TRICKY | st.none() | st.integers() | st.floats()
EXAMPLES = settings(max_examples=200, database=None)


@EXAMPLES
@given(TRICKY)
def test_spreadsheet_text_quotes_exactly_the_texts_that_start_like_a_formula_or_a_quote(text):
    starts_badly = text.startswith((*FORMULA_STARTS, "'"))
    assert spreadsheet_text(text) == ("'" + text if starts_badly else text)


@EXAMPLES
@given(st.lists(CSV_VALUES, min_size=2, max_size=6))
def test_csv_fields_are_what_the_csv_writer_writes(values):
    stream = io.StringIO()
    csv.writer(stream).writerow(values)
    assert csv_fields(values) + "\r\n" == stream.getvalue()
