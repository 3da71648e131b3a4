"""Pure view functions of the cohort pages: join links, status, attempts and grid cells in words."""

from datetime import UTC, datetime

import pytest

from simulator.app.assignment_views import assignment_banner, attempts_text, grid_cell, status_badge
from simulator.app.cohort_views import join_link, site_base
from simulator.assignments import PassCriteria, Progress, Status
from simulator.cohorts import LearnerAssignment
from simulator.store.models import AssignmentRow


@pytest.mark.parametrize(
    ("configured", "page_url", "base"),
    [
        ("https://listen.example.org/", "http://10.0.0.5:8501/cohort", "https://listen.example.org"),
        (None, "http://127.0.0.1:8501/cohort?x=1", "http://127.0.0.1:8501"),
        (None, None, ""),
    ],
)
def test_the_join_link_uses_the_configured_address_else_the_pages(configured, page_url, base):
    assert site_base(configured, page_url) == base
    assert join_link(base, "ABCD2345") == f"{base}/join?code=ABCD2345"


def item(attempts: int, max_attempts: int | None, opens_at=None, best=None) -> LearnerAssignment:
    row = AssignmentRow(
        id=7, cohort_id=1, persona_id="p", created_by="f", max_attempts=max_attempts, opens_at=opens_at
    )
    progress = Progress(Status.IN_PROGRESS if attempts else Status.NOT_STARTED, attempts, best)
    return LearnerAssignment(row, "Spring", PassCriteria(breakthrough=True), progress, opens_at is None)


def test_attempts_read_as_used_and_left():
    assert attempts_text(item(1, 3)) == "1 attempt(s) so far, 2 left"
    assert attempts_text(item(3, 3)) == "3 attempt(s) so far, 0 left"
    assert attempts_text(item(0, None)) == "0 attempt(s) so far, no limit"


def test_an_assignment_not_yet_open_says_when_it_opens():
    opens = datetime(2031, 5, 4, 12, tzinfo=UTC)
    assert attempts_text(item(0, 2, opens_at=opens)).startswith("opens 04 May 2031")


def test_the_banner_names_the_cohort_the_criteria_and_who_sees_it():
    banner = assignment_banner(item(0, 2))
    assert "Assignment for Spring" in banner and "no due date" in banner
    assert "reaching the breakthrough" in banner and "Your facilitators will see this session" in banner


def test_grid_cells_and_badges_read_in_words():
    assert grid_cell(Progress(Status.PASSED, 2, 4.25)) == "passed (2 attempt(s), best 4.2)"
    assert grid_cell(Progress(Status.NOT_STARTED, 0, None)) == "not started (0 attempt(s))"
    assert status_badge(Status.OVERDUE) == ":orange-badge[overdue]"
