"""Pure functions: a stored session -> per-turn views and plain-language debrief notes."""

from dataclasses import dataclass

from simulator.grades import TurnGrade
from simulator.labels import ROADBLOCKS, SHORT_NAMES, Label
from simulator.personas import Persona
from simulator.scoring import SessionMetrics
from simulator.session import effective_grade
from simulator.store import StoredSession

GOOD_SCORE = 4.0


@dataclass(frozen=True)
class TurnView:
    """A learner turn as the debrief shows it: its grade and how the persona's openness moved."""

    number: int
    index: int
    text: str
    grade: TurnGrade | None
    openness_before: float
    openness_after: float | None
    reply: str | None

    @property
    def score(self) -> float | None:
        return self.grade.score if self.grade is not None and self.grade.ok else None

    @property
    def roadblocks(self) -> list[Label]:
        if self.grade is None or not self.grade.ok:
            return []
        return [label for label in self.grade.labels if label in ROADBLOCKS]

    @property
    def openness_change(self) -> float | None:
        return None if self.openness_after is None else self.openness_after - self.openness_before


def turn_views(stored: StoredSession, persona: Persona) -> list[TurnView]:
    """The learner turns of a session, numbered from 1, with the reply that followed each."""
    views, openness = [], persona.dynamics.start_openness
    for position, turn in enumerate(stored.turns):
        if turn.role != "learner":
            continue
        following = stored.turns[position + 1] if position + 1 < len(stored.turns) else None
        reply = following.text if following is not None and following.role == "persona" else None
        views.append(
            TurnView(
                len(views) + 1, turn.index, turn.text, effective_grade(turn), openness, turn.openness, reply
            )
        )
        openness = turn.openness if turn.openness is not None else openness
    return views


def label_names(grade: TurnGrade | None) -> str:
    """The short names of a grade's labels, primary first."""
    if grade is None or not grade.ok:
        return "not graded"
    return ", ".join(SHORT_NAMES[label] for label in grade.labels)


def rq_note(metrics: SessionMetrics) -> str:
    """The reflection-to-question ratio against the MITI bands."""
    counts = f"You reflected {metrics.reflections} time(s) and asked {metrics.questions} question(s)"
    if metrics.rq_band == "n/a":
        return f"{counts}: reflect what you hear, or ask an open question, to help them say more."
    if metrics.questions == 0:
        return f"{counts}: all reflection, no interrogation — the MITI 'good' band."
    ratio = f"{metrics.reflection_to_question:.1f}:1"
    advice = {
        "good": "in the MITI 'good' band (2:1 or more). Reflections kept them talking.",
        "fair": "in the MITI 'fair' band (at least 1:1). For 'good' (2:1), turn your next question "
        "into a reflection of what you just heard.",
        "below": "below the MITI 'fair' band (1:1): more questions than reflections feels like an "
        "interview. Before each question, try reflecting what they said.",
    }[metrics.rq_band]
    return f"{counts} — a ratio of {ratio}, {advice}"


def roadblock_note(views: list[TurnView]) -> str:
    """Which turns were roadblocks, and what the costliest one did to openness."""
    blocked = [view for view in views if view.roadblocks]
    if not blocked:
        return "No roadblocks: you did not fix, reassure, judge or turn to your own story."
    worst = min(blocked, key=lambda view: view.openness_change or 0.0)
    names = ", ".join(SHORT_NAMES[label] for label in worst.roadblocks)
    numbers = ", ".join(str(view.number) for view in blocked)
    note = f"Roadblocks in turn(s) {numbers}. The costliest was turn {worst.number}, {names}"
    if worst.openness_change is not None and worst.openness_change < 0:
        return f"{note}: their openness fell from {worst.openness_before:.2f} to {worst.openness_after:.2f}."
    return f"{note}."


def best_turn_note(views: list[TurnView]) -> str | None:
    """The highest-scoring turn, quoted."""
    scored = [view for view in views if view.score is not None]
    if not scored:
        return None
    best = max(scored, key=lambda view: (view.score, -view.number))
    return (
        f"Your strongest turn: turn {best.number}, {best.score:g}/5, {label_names(best.grade)}: “{best.text}”"
    )


def practise_note(views: list[TurnView]) -> str | None:
    """The weakest turn with a better alternative, and how to practise it."""
    weak = [view for view in views if view.score is not None and view.score < GOOD_SCORE]
    if not weak:
        return None
    worst = min(weak, key=lambda view: (view.score, view.number))
    note = f"To practise: turn {worst.number} scored {worst.score:g}/5 — {label_names(worst.grade)}."
    if worst.grade.suggestion:
        note += f" A better reply might be: “{worst.grade.suggestion}”"
    return f"{note} Use “Try again from here” on turn {worst.number} to replay that moment."


def breakthrough_note(metrics: SessionMetrics, persona: Persona) -> str:
    """Whether the persona opened up fully, and how close the learner came."""
    if metrics.breakthrough:
        return f"Breakthrough: {persona.title} opened up fully after your turn {metrics.breakthrough_turn}."
    dynamics = persona.dynamics
    peak = max(metrics.openness, default=dynamics.start_openness)
    return (
        f"No breakthrough this time: openness peaked at {peak:.2f} (it started at "
        f"{dynamics.start_openness:.2f}; a breakthrough needs {dynamics.breakthrough_at:.2f})."
    )


def talk_note(metrics: SessionMetrics) -> str | None:
    """Who did the talking."""
    if metrics.talk_balance is None:
        return None
    share = f"You spoke {metrics.talk_balance:.0%} of the words"
    if metrics.talk_balance <= 0.5:
        return f"{share}: they did most of the talking, as they should when you listen."
    return f"{share}: you did more of the talking than they did. Shorter turns leave them more room."


def debrief_notes(metrics: SessionMetrics, views: list[TurnView], persona: Persona) -> list[str]:
    """What the debrief tells the learner, most important first."""
    if not views:
        return ["You ended the session before your first turn: there is nothing to grade yet."]
    notes = [
        breakthrough_note(metrics, persona),
        rq_note(metrics),
        roadblock_note(views),
        practise_note(views),
        best_turn_note(views),
        talk_note(metrics),
    ]
    return [note for note in notes if note]
