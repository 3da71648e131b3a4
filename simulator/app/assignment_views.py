"""Pure functions: how assignments, their status and a cohort's grid read on the pages."""

from datetime import datetime

from simulator.assignments import Progress, Status
from simulator.cohorts import LearnerAssignment

STATUS_COLOURS = {
    Status.NOT_STARTED: "gray",
    Status.IN_PROGRESS: "blue",
    Status.PASSED: "green",
    Status.OVERDUE: "orange",
}


def status_badge(status: Status) -> str:
    """The status as a coloured Streamlit badge."""
    return f":{STATUS_COLOURS[status]}-badge[{status.value}]"


def due_text(due_at: datetime | None) -> str:
    return f"due {due_at.astimezone():%d %b %Y}" if due_at else "no due date"


def attempts_text(item: LearnerAssignment) -> str:
    """Attempts used, and how many are left when there is a limit."""
    if not item.is_open and item.assignment.opens_at:
        return f"opens {item.assignment.opens_at.astimezone():%d %b %Y}"
    used = f"{item.progress.attempts} attempt(s) so far"
    if item.attempts_left is None:
        return f"{used}, no limit"
    return f"{used}, {item.attempts_left} left"


def grid_cell(progress: Progress) -> str:
    """One learner x assignment cell: status, attempts and best score."""
    best = f", best {progress.best_score:.1f}" if progress.best_score is not None else ""
    return f"{progress.status.value} ({progress.attempts} attempt(s){best})"


def assignment_banner(item: LearnerAssignment) -> str:
    """What the practice page says during an assignment session: which one, how it is passed, who sees it."""
    return (
        f"**Assignment for {item.cohort_name}** ({due_text(item.assignment.due_at)}). "
        f"To pass: {'; '.join(item.criteria.describe())}. Your facilitators will see this session."
    )
