"""The Batch page (AppTest) and the upload workspace behind it."""

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simulator.batch.workspace import Upload, safe_relative, save_uploads
from simulator.webapp import PAGES_DIR
from tests.test_batch_support import DATA

PAGE = str(PAGES_DIR / "batch.py")
LISTENERS = "Maria Lopez, coach, learner, therapist"


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return AppTest.from_file(PAGE, default_timeout=60)


def sample_files() -> list[tuple[str, bytes, str]]:
    return [(path.name, path.read_bytes(), "text/plain") for path in sorted(DATA.iterdir())]


def zipped(files: list[tuple[str, bytes, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, _ in files:
            archive.writestr(f"cohort/{name}", data)
    return buffer.getvalue()


def grade(at: AppTest, files) -> AppTest:
    at.file_uploader[0].set_value(files)
    at.text_input[0].set_value(LISTENERS)
    at.run()
    return at.button[0].click().run()


def test_the_page_asks_for_files_before_grading(page):
    at = page.run()
    assert not at.exception and at.title[0].value == "Batch grading"
    assert at.button[0].label == "Grade" and at.button[0].disabled
    assert [r.label for r in at.radio] == ["Grader", "LLM calls"]


def test_uploaded_files_are_graded_with_results_to_browse_and_download(page):
    at = grade(page.run(), sample_files())
    assert not at.exception and not at.error
    assert [m.value for m in at.metric][:4] == ["9", "34", "0", "0"]
    assert [b.label for b in at.get("download_button")] == [
        "report.html",
        "turns.csv",
        "turns.jsonl",
        "transcripts.csv",
        "skipped.csv",
        "all (zip)",
    ]
    assert len(at.dataframe) == 3 and len(at.tabs) == 4


def test_a_zip_of_a_folder_is_unpacked_and_bad_files_are_reported_as_skipped(page):
    files = [
        ("cohort.zip", zipped(sample_files()), "application/zip"),
        ("broken.srt", b"\xff\xfe", "text/plain"),
    ]
    at = grade(page.run(), files)
    assert not at.exception
    assert [m.value for m in at.metric][:4] == ["9", "34", "0", "1"]


def test_member_names_that_leave_the_folder_are_refused():
    assert safe_relative("../../etc/passwd") is None and safe_relative("/abs/../x.txt") is None
    assert safe_relative("__MACOSX/._a.vtt") is None and safe_relative(".hidden/a.vtt") is None
    assert safe_relative("cohort/a.vtt") == Path("cohort/a.vtt")


def test_a_zip_never_writes_outside_the_upload_folder(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.txt", "coach: hi")
        archive.writestr("ok/a.txt", "coach: hi")
    problems = save_uploads([Upload("pack.zip", buffer.getvalue())], tmp_path / "inputs")
    assert problems == [] and not (tmp_path / "escape.txt").exists()
    assert [p.relative_to(tmp_path).as_posix() for p in (tmp_path / "inputs").rglob("*.txt")] == [
        "inputs/pack/ok/a.txt"
    ]


def test_upload_problems_are_reported(tmp_path):
    problems = save_uploads(
        [Upload("a.txt", b"x"), Upload("a.txt", b"y"), Upload("bad.zip", b"nope")], tmp_path / "in"
    )
    assert problems == [
        "two uploads are named a.txt; the second was left out",
        "bad.zip: not a readable zip file",
    ]
