"""Pure functions: a cohort dashboard -> the rows its tables show (observed behaviour only, no ranking)."""

from urllib.parse import quote, urlsplit

from simulator.app.assignment_views import due_text, grid_cell
from simulator.dashboard import CohortDashboard
from simulator.reviews import Agreement
from simulator.store.models import AssignmentRow


def site_base(configured: str | None, page_url: str | None) -> str:
    """The address others reach the app at: LISTENLAB_BASE_URL, else the scheme and host of this page."""
    if configured:
        return configured.rstrip("/")
    parts = urlsplit(page_url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def join_link(base: str, code: str) -> str:
    return f"{base}/join?code={quote(code, safe='')}"


def assignment_name(row: AssignmentRow, titles: dict[str, str]) -> str:
    return f"{titles.get(row.persona_id, row.persona_id)} (#{row.id}, {due_text(row.due_at)})"


def progress_rows(board: CohortDashboard, titles: dict[str, str]) -> list[dict]:
    """One row per learner, one column per assignment: status, attempts and best score, by name."""
    return [
        {
            "learner": learner.username,
            **{
                assignment_name(a, titles): grid_cell(board.progress[(a.id, learner.id)])
                for a in board.assignments
            },
        }
        for learner in board.learners
    ]


def _value(value: float | None, percent: bool) -> str:
    if value is None:
        return "—"
    return f"{value:.0%}" if percent else f"{value:.2f}"


def skill_rows(board: CohortDashboard) -> list[dict]:
    """Each learner's skills over their finished assignment sessions: first, best and latest."""
    names = {learner.id: learner.username for learner in board.learners}
    return [
        {
            "learner": names[learner_id],
            "skill": p.skill.name,
            "first": _value(p.first, p.skill.percent),
            "best": _value(p.best, p.skill.percent),
            "latest": _value(p.latest, p.skill.percent),
            "sessions": len(p.points),
        }
        for learner_id, progress in board.skills.items()
        if learner_id in names
        for p in progress
    ]


def roadblock_rows(board: CohortDashboard, titles: dict[str, str]) -> list[dict]:
    """The roadblocks most often seen per persona, with how many turns showed each."""
    return [
        {"persona": titles.get(persona, persona), "roadblock": label, "turns": count}
        for persona, counts in board.roadblocks.items()
        for label, count in counts
    ]


def agreement_text(agreement: Agreement) -> str:
    """How often facilitators kept the grader's label when they reviewed a turn."""
    if not agreement.reviewed:
        return "No turns reviewed yet: override a grade on a transcript to see how often you agree."
    return (
        f"Facilitators kept the grader's label on {agreement.agreed} of {agreement.reviewed} reviewed "
        f"turn(s) ({agreement.rate:.0%})."
    )
