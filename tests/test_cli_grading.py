"""grade-turns, eval-grader and train-grader commands on a local Typer app."""

import json

import typer
from typer.testing import CliRunner

from simulator.cli_grading import register
from simulator.grades import TurnGrade
from simulator.labels import Label
from tests.fakes import FakeGrader, grade_of

runner = CliRunner()


def app_with(grader) -> typer.Typer:
    app = typer.Typer()
    register(app, make_grader=lambda name, settings: grader)
    return app


def write_lines(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_grade_turns_keeps_order_and_adds_grade_fields(tmp_path):
    source = write_lines(
        tmp_path / "in.jsonl",
        [
            json.dumps(
                {"id": "t1", "context": "I lost my job.", "text": "That sounds frightening.", "extra": 7}
            ),
            json.dumps({"id": 2, "text": "You should update your CV."}),
        ],
    )
    grader = FakeGrader().enqueue(grade_of("reflection", score=4.5), grade_of("advice", score=2.0))
    result = runner.invoke(app_with(grader), ["grade-turns", str(source), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == ["t1", 2] and rows[0]["extra"] == 7
    assert rows[0]["primary"] == "reflection" and rows[1]["labels"] == ["advice"]
    assert {"labels", "primary", "score", "rationale", "grader"} <= set(rows[1])
    assert [r.context for r in grader.requests] == ["I lost my job.", ""]


def test_grade_turns_reports_bad_rows_by_line_number_and_skips_them(tmp_path):
    source = write_lines(
        tmp_path / "in.jsonl",
        [
            json.dumps({"id": "a", "text": "Okay."}),
            "{not json",
            json.dumps({"id": "c", "context": "hi"}),
            "",
            json.dumps({"id": "e", "text": "   "}),
            json.dumps({"id": "f", "text": "Tell me more."}),
        ],
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app_with(FakeGrader()), ["grade-turns", str(source), "-o", str(out)])
    assert result.exit_code == 1
    assert "line 2:" in result.stderr and "line 3:" in result.stderr and "line 5:" in result.stderr
    assert "line 1:" not in result.stderr and "skipped 3 bad row(s)" in result.stderr
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "f"]


def test_grade_turns_writes_failed_grades_instead_of_dropping_them(tmp_path):
    source = write_lines(tmp_path / "in.jsonl", [json.dumps({"id": "x", "text": "Hm."})])
    grader = FakeGrader().enqueue(TurnGrade.failed("fake@1", "timeout"))
    result = runner.invoke(app_with(grader), ["grade-turns", str(source), "-o", str(tmp_path / "o.jsonl")])
    row = json.loads((tmp_path / "o.jsonl").read_text())
    assert result.exit_code == 0 and row["status"] == "failed" and row["error"] == "timeout"


def labelled_rows(tmp_path):
    rows = [
        {
            "id": "1",
            "context": "c",
            "text": "It sounds hard.",
            "labels": ["reflection"],
            "primary": "reflection",
        },
        {"id": "2", "context": "c", "text": "Quit.", "labels": ["advice"], "primary": "advice"},
        {
            "id": "3",
            "context": "c",
            "text": "Why?",
            "labels": ["open_question", "judgment"],
            "primary": "judgment",
        },
    ]
    return write_lines(tmp_path / "gold.jsonl", [json.dumps(row) for row in rows] + ['{"id": "4"}'])


def test_eval_grader_prints_tables_and_writes_json_and_html(tmp_path):
    grader = FakeGrader().enqueue(grade_of("reflection"), grade_of("advice"), grade_of("open_question"))
    arguments = [
        "eval-grader",
        str(labelled_rows(tmp_path)),
        "--json",
        str(tmp_path / "r.json"),
        "--html",
        str(tmp_path / "r.html"),
    ]
    result = runner.invoke(app_with(grader), arguments)
    assert result.exit_code == 0, result.output
    assert "kappa" in result.stdout and "line 4" in result.stderr
    figures = json.loads((tmp_path / "r.json").read_text())
    assert figures["turns"] == 3 and figures["primary_accuracy"] == 2 / 3
    scores = {s["label"]: s for s in figures["per_label"]}
    assert scores["judgment"]["recall"] == 0.0 and scores["reflection"]["f1"] == 1.0
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")


def test_eval_grader_leaves_failed_grades_out_of_the_figures(tmp_path):
    grader = FakeGrader().enqueue(
        TurnGrade.failed("fake@1", "server down"), grade_of("advice"), grade_of("judgment")
    )
    result = runner.invoke(
        app_with(grader), ["eval-grader", str(labelled_rows(tmp_path)), "--json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 0 and "grade failed: server down" in result.stderr
    assert json.loads((tmp_path / "r.json").read_text())["turns"] == 2


def test_eval_grader_with_the_shipped_offline_grader(tmp_path):
    from simulator.grader.offline import load_offline_grader

    result = runner.invoke(app_with(load_offline_grader()), ["eval-grader", str(labelled_rows(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "offline@" in result.stdout and Label.REFLECTION.value in result.stdout


def grade_turns(grader, source, output):
    return runner.invoke(app_with(grader), ["grade-turns", str(source), "-o", str(output)])


def test_grade_turns_refuses_to_write_over_its_input(tmp_path):
    source = write_lines(tmp_path / "x.jsonl", [json.dumps({"id": 1, "text": "Tell me more."})])
    before = source.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(source)
    for output in (source, tmp_path / "link.jsonl", tmp_path / "." / "x.jsonl"):
        result = grade_turns(FakeGrader(), source, output)
        assert result.exit_code == 2, result.output
        assert "the output is the input file" in result.stderr
        assert source.read_bytes() == before


def test_grade_turns_reports_a_line_that_is_not_utf8_and_grades_the_rest(tmp_path):
    source = tmp_path / "in.jsonl"
    good = [json.dumps({"id": n, "text": "Tell me more."}).encode() for n in (1, 3)]
    source.write_bytes(good[0] + b"\n" + b'{"id": 2, "text": "caf\xe9"}\n' + good[1] + b"\n")
    out = tmp_path / "out.jsonl"
    result = grade_turns(FakeGrader(), source, out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "line 2: skipped: not UTF-8 text: byte 0xe9 at column 23" in result.stderr
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == [1, 3]


def test_grade_turns_leaves_an_existing_output_as_it_was_when_grading_fails(tmp_path):
    source = write_lines(tmp_path / "in.jsonl", [json.dumps({"id": 1, "text": "Tell me more."})])
    out = write_lines(tmp_path / "out.jsonl", ['{"id": "from the last run"}'])
    result = grade_turns(FakeGrader().enqueue(RuntimeError("grader crashed")), source, out)
    assert isinstance(result.exception, RuntimeError)
    assert out.read_text() == '{"id": "from the last run"}\n'
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_grade_turns_into_a_missing_folder_says_which(tmp_path):
    source = write_lines(tmp_path / "in.jsonl", [json.dumps({"id": 1, "text": "Tell me more."})])
    result = grade_turns(FakeGrader(), source, tmp_path / "missing-dir" / "out.jsonl")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"the folder {tmp_path / 'missing-dir'} does not exist" in result.stderr


def test_eval_grader_checks_its_outputs_before_grading(tmp_path):
    grader = FakeGrader()
    missing = tmp_path / "nowhere" / "r.json"
    result = runner.invoke(
        app_with(grader), ["eval-grader", str(labelled_rows(tmp_path)), "--json", str(missing)]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "does not exist" in result.stderr and grader.requests == []
