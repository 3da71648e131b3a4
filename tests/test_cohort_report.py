"""`listenlab cohort report`: the gradebook CSV (formula-like cells as text), the HTML report in the batch
report's look, and grade overrides that `listenlab eval-grader` reads; on SQLite and PostgreSQL."""

import csv
import json
from dataclasses import dataclass
from importlib import resources

import pytest

from simulator.accounts import actor_of, create_user
from simulator.assignments import PassCriteria
from simulator.batch.report import ReportBuilder, render_report
from simulator.cohorts import OPERATOR, create_assignment, create_cohort, join_with_new_account
from simulator.reviews import override_grade
from simulator.store import open_store
from tests.cohort_cli import Commands, cohort_db_url, refused_in_one_line  # noqa: F401
from tests.fakes import grade_of
from tests.test_cohorts import practise

STYLESHEET = resources.files("simulator.batch").joinpath("templates/report.css").read_text(encoding="utf-8")


@dataclass
class Cohort:
    run: Commands
    cohort_id: int
    assignment_id: int
    session_id: str


def cohort_of(db_url: str, tmp_path, name: str, persona: str = "stressed-partner") -> Cohort:
    """fran facilitates `name`, whose assignment passes at a mean score of 3; ana finished one session
    (a reflection at 4, advice at 2) and fran overrode the reflection as advice at 2; ben has not started."""
    engine = open_store(db_url)
    fran = actor_of(engine, create_user(engine, "fran", "facilitator", password="fran-password"))
    cohort = create_cohort(engine, OPERATOR, name, facilitator="fran")
    ana = join_with_new_account(engine, cohort.join_code, "ana", "ana-password")[0]
    join_with_new_account(engine, cohort.join_code, "ben", "ben-password")
    criteria = PassCriteria(min_mean_score=3)
    assignment = create_assignment(engine, OPERATOR, cohort.id, persona, {persona}, criteria)
    grades = [grade_of("reflection", score=4.0), grade_of("advice", score=2.0)]
    session_id = practise(engine, ana, assignment.id, grades, persona=persona)
    override_grade(
        engine, actor_of(engine, fran), session_id, 1, "advice", 2, "A fix dressed as a reflection."
    )
    return Cohort(Commands(db_url, tmp_path), cohort.id, assignment.id, session_id)


def raw_rows(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_the_gradebook_writes_formula_like_cells_as_text(cohort_db_url, tmp_path):  # noqa: F811
    # A persona id like a formula: an assignment made before its persona file was renamed, say.
    made = cohort_of(cohort_db_url, tmp_path, '=HYPERLINK("http://evil.example","x")', persona="@SUM(1+1)")
    path = tmp_path / "gradebook.csv"
    made.run.ok("cohort", "report", str(made.cohort_id), "--csv", str(path))
    header, *lines = raw_rows(path)
    assert {"cohort", "learner", "persona", "status", "attempts", "best_score"} <= set(header)
    rows = [dict(zip(header, line, strict=True)) for line in lines]
    assert {row["cohort"] for row in rows} == {'\'=HYPERLINK("http://evil.example","x")'}
    assert {row["persona"] for row in rows} == {"'@SUM(1+1)"}
    standing = {row["learner"]: (row["status"], row["attempts"], row["best_score"]) for row in rows}
    assert standing == {"ana": ("in progress", "1", "2.00"), "ben": ("not started", "0", "")}


def test_the_html_report_shows_each_learner_escapes_names_and_fetches_nothing(cohort_db_url, tmp_path):  # noqa: F811
    made = cohort_of(cohort_db_url, tmp_path, "<script>alert(1)</script> Leads")
    html_path = tmp_path / "cohort.html"
    made.run.ok(
        "cohort", "report", str(made.cohort_id), "--csv", str(tmp_path / "g.csv"), "--html", str(html_path)
    )
    html = html_path.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Leads" in html
    assert "src=" not in html and "<link" not in html and "@import" not in html
    assert STYLESHEET in html
    assert "<td>ana</td>" in html and "<td>ben</td>" in html
    assert (
        '<span class="pill fair">in progress</span>' in html
        and '<span class="pill na">not started</span>' in html
    )
    assert "advice (2)" in html  # the roadblocks of the persona, with the override counted
    assert "<b>0%</b><span>facilitator overrides that kept the grader's label (1 reviewed)" in html


def test_the_batch_report_keeps_the_shared_stylesheet():
    assert STYLESHEET in render_report(ReportBuilder(meta={}, tokens={}).finish([]))


def test_the_overrides_export_is_read_by_eval_grader(cohort_db_url, tmp_path):  # noqa: F811
    made = cohort_of(cohort_db_url, tmp_path, "Leads spring")
    overrides, figures = tmp_path / "overrides.jsonl", tmp_path / "agreement.json"
    made.run.ok(
        "cohort", "report", "Leads spring", "--csv", str(tmp_path / "g.csv"), "--overrides", str(overrides)
    )
    (row,) = [json.loads(line) for line in overrides.read_text(encoding="utf-8").splitlines()]
    assert (row["text"], row["primary"], row["labels"], row["context"]) == (
        "turn 0",
        "advice",
        ["advice"],
        "Long day.",
    )
    made.run.ok("eval-grader", str(overrides), "--grader", "offline", "--json", str(figures))
    agreement = json.loads(figures.read_text(encoding="utf-8"))
    gold = dict(zip(agreement["labels"], map(sum, agreement["confusion"]), strict=True))
    assert agreement["turns"] == 1 and gold["advice"] == 1


def test_every_output_is_checked_before_any_is_written(tmp_path):
    made = cohort_of(f"sqlite:///{tmp_path / 'report.db'}", tmp_path, "Leads spring")
    gradebook = tmp_path / "gradebook.csv"
    gradebook.write_text("the old gradebook\n", encoding="utf-8")
    missing = tmp_path / "no-such-folder" / "report.html"
    report = ("cohort", "report", "Leads spring", "--csv", str(gradebook))
    refused_in_one_line(made.run(*report, "--html", str(missing)), "does not exist")
    refused_in_one_line(made.run(*report, "--overrides", str(gradebook)), "given for two outputs")
    refused_in_one_line(made.run(*report, "--html", str(tmp_path)), "is a folder")
    assert gradebook.read_text(encoding="utf-8") == "the old gradebook\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in {".html", ".jsonl", ".partial"}) == []


@pytest.mark.parametrize("count", [0, 3])
def test_the_gradebook_has_a_row_per_learner_and_assignment(tmp_path, count):
    made = cohort_of(f"sqlite:///{tmp_path / 'report.db'}", tmp_path, "Leads spring")
    for _ in range(count):
        made.run.ok("cohort", "assign", "Leads spring", "--persona", "quiet-employee")
    rows = made.run.gradebook("Leads spring")
    assert len(rows) == 2 * (1 + count)
    assert sorted({row["assignment_id"] for row in rows}) == sorted(
        {str(made.assignment_id + n) for n in range(1 + count)}
    )
