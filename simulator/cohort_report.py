"""Cohort exports: the gradebook CSV, a self-contained HTML report, and grade overrides as labelled JSONL."""

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from simulator.access import Actor, can_manage_cohort, require
from simulator.assignments import Status
from simulator.batch.report import report_environment
from simulator.cohorts import MANAGE_REFUSED, criteria_of
from simulator.dashboard import GRADEBOOK_COLUMNS, CohortDashboard, cohort_dashboard, gradebook_rows
from simulator.files import FileProblem, check_output, replacing, same_file, spreadsheet_text
from simulator.recording import utc_now
from simulator.reviews import cohort_overrides, labelled_rows
from simulator.scoring import RQ_FAIR, RQ_GOOD

GRADEBOOK_HEADER = ("cohort", *GRADEBOOK_COLUMNS)
STATUS_STYLE = {
    Status.PASSED: "good",
    Status.IN_PROGRESS: "fair",
    Status.NOT_STARTED: "na",
    Status.OVERDUE: "below",
}
SKILL_KEYS = ("mean_score", "reflection_to_question", "roadblock_rate")


@dataclass(frozen=True)
class ReportPaths:
    """Where `cohort report` writes: the gradebook CSV, and optionally the HTML report and the overrides."""

    csv: Path
    html: Path | None = None
    overrides: Path | None = None

    def given(self) -> list[Path]:
        return [path for path in (self.csv, self.html, self.overrides) if path is not None]


def check_paths(paths: ReportPaths) -> None:
    """FileProblem before anything is written: a path that cannot take an output, or one given twice."""
    given = paths.given()
    for number, path in enumerate(given):
        check_output(path)
        if any(same_file(path, other) for other in given[:number]):
            raise FileProblem(f"{path}: given for two outputs; choose a separate file for each")


def csv_cell(value: object) -> object:
    """A gradebook cell: scores to two places, nothing for a missing value, formula-like text as text."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return spreadsheet_text(value)


def gradebook_lines(board: CohortDashboard) -> list[list[object]]:
    """The gradebook's data rows, the cohort's name first on each."""
    return [
        [csv_cell(board.cohort.name), *(csv_cell(row[column]) for column in GRADEBOOK_COLUMNS)]
        for row in gradebook_rows(board)
    ]


def gradebook_csv(board: CohortDashboard) -> str:
    """The gradebook as CSV text: the header, then a row per learner and assignment."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(GRADEBOOK_HEADER)
    writer.writerows(gradebook_lines(board))
    return buffer.getvalue()


def write_gradebook(board: CohortDashboard, path: Path) -> int:
    """The gradebook CSV, replacing `path` only when complete; returns the number of rows."""
    with replacing(path, newline="") as stream:
        stream.write(gradebook_csv(board))
    return len(board.learners) * len(board.assignments)


def cohort_labelled_rows(engine: Engine, actor: Actor, board: CohortDashboard) -> list[dict]:
    """The cohort's grade overrides as labelled turns (see reviews.labelled_rows)."""
    require(can_manage_cohort(actor, board.cohort.id), MANAGE_REFUSED)
    with Session(engine, expire_on_commit=False) as db:
        return labelled_rows(cohort_overrides(db, board.cohort.id), board.cohort.name)


def write_jsonl(rows: list[dict], path: Path) -> int:
    with replacing(path) as stream:
        stream.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return len(rows)


def assignment_rows(board: CohortDashboard) -> list[dict]:
    """Per assignment: what is asked, by when, and how many learners stand where."""
    rows = []
    for assignment in board.assignments:
        standing = [board.progress[(assignment.id, learner.id)] for learner in board.learners]
        scores = [p.best_score for p in standing if p.best_score is not None]
        rows.append(
            {
                "assignment": assignment,
                "criteria": criteria_of(assignment).describe(),
                "counts": Counter(p.status for p in standing),
                "mean_best": sum(scores) / len(scores) if scores else None,
            }
        )
    return rows


def grid_rows(board: CohortDashboard) -> list[dict]:
    """Per learner (by name, never ranked): their standing on each assignment, and their skills."""
    return [
        {
            "learner": learner,
            "cells": [board.progress[(a.id, learner.id)] for a in board.assignments],
            "skills": {s.skill.key: s for s in board.skills.get(learner.id, []) if s.skill.key in SKILL_KEYS},
        }
        for learner in board.learners
    ]


def report_data(board: CohortDashboard) -> dict:
    """Everything the cohort template shows."""
    cells = list(board.progress.values())
    return {
        "cohort": board.cohort,
        "generated_at": utc_now(),
        "learners": len(board.learners),
        "assignments": assignment_rows(board),
        "grid": grid_rows(board),
        "passed": sum(1 for p in cells if p.status == Status.PASSED),
        "overdue": sum(1 for p in cells if p.status == Status.OVERDUE),
        "cells": len(cells),
        "finished_sessions": sum(1 for s in board.sessions if s.ended_at is not None),
        "roadblocks": board.roadblocks,
        "agreement": board.agreement,
        "statuses": list(Status),
        "status_style": STATUS_STYLE,
        "skill_keys": SKILL_KEYS,
        "rq": {"fair": RQ_FAIR, "good": RQ_GOOD},
    }


def render_cohort_report(board: CohortDashboard) -> str:
    """The cohort report as one HTML string, in the look of the batch report."""
    return report_environment().get_template("cohort.html.j2").render(**report_data(board))


def write_html(board: CohortDashboard, path: Path) -> None:
    html = render_cohort_report(board)
    with replacing(path) as stream:
        stream.write(html)


def write_cohort_report(engine: Engine, actor: Actor, cohort_id: int, paths: ReportPaths) -> list[tuple]:
    """Write the outputs asked for; returns (path, what was written) for each. Paths are checked first."""
    check_paths(paths)
    board = cohort_dashboard(engine, actor, cohort_id)
    rows = write_gradebook(board, paths.csv)
    written = [(paths.csv, f"the gradebook ({rows} rows)")]
    if paths.html is not None:
        write_html(board, paths.html)
        written.append((paths.html, "the cohort report"))
    if paths.overrides is not None:
        count = write_jsonl(cohort_labelled_rows(engine, actor, board), paths.overrides)
        written.append((paths.overrides, f"{count} grade override(s) as labelled turns"))
    return written
