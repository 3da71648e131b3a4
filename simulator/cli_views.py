"""Terminal rendering for the CLI: persona lists, per-turn feedback and the session summary."""

import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simulator.grades import TurnGrade
from simulator.labels import SHORT_NAMES, family
from simulator.personas import Persona
from simulator.scoring import SessionMetrics
from simulator.terminal import terminal_text

FAMILY_STYLE = {"listening": "green", "neutral": "yellow", "roadblock": "red"}


def print_personas(console: Console, personas: dict[str, Persona], as_json: bool) -> None:
    """A table of personas, or JSON with what the learner may see."""
    if as_json:
        rows = [
            p.model_dump(mode="json", include={"id", "title", "situation", "learner_goal", "difficulty"})
            for p in personas.values()
        ]
        console.print_json(json.dumps(rows))
        return
    table = Table("id", "title", "difficulty", "situation", title="Personas")
    for persona in personas.values():
        table.add_row(persona.id, shown(persona.title), "●" * persona.difficulty, shown(persona.situation))
    console.print(table)


def label_text(grade: TurnGrade) -> str:
    """Labels as coloured plain words, primary first."""
    ordered = [grade.primary, *[label for label in grade.labels if label != grade.primary]]
    return ", ".join(f"[{FAMILY_STYLE[family(label)]}]{SHORT_NAMES[label]}[/]" for label in ordered if label)


def shown(text: str | None) -> str:
    """Model or file text ready for rich markup: escape sequences removed, brackets escaped."""
    return escape(terminal_text(text or ""))


def print_feedback(console: Console, grade: TurnGrade, openness: float | None = None) -> None:
    """One learner turn's feedback: labels, score, rationale, a better reply."""
    if not grade.ok:
        console.print(f"  [dim]feedback unavailable: {shown(grade.error)}[/dim]", highlight=False)
        return
    score = f"{grade.score:.1f}/5" if grade.score is not None else "–"
    meter = f"  openness {openness:.2f}" if openness is not None else ""
    console.print(f"  ↳ {label_text(grade)}  [bold]{score}[/bold]{meter}", highlight=False)
    if grade.rationale:
        console.print(f"    [dim]{shown(grade.rationale)}[/dim]", highlight=False)
    if grade.suggestion:
        console.print(f"    [cyan]try:[/cyan] {shown(grade.suggestion)}", highlight=False)


def fmt(value: float | None, pattern: str = "{:.2f}") -> str:
    """A number or a dash."""
    return "–" if value is None else pattern.format(value)


def print_summary(console: Console, metrics: SessionMetrics) -> None:
    """The end-of-session metrics as a table."""
    table = Table("metric", "value", title="Session summary")
    ratio = fmt(metrics.reflection_to_question)
    table.add_row("reflection : question", f"{ratio} ({metrics.rq_band}; fair ≥ 1, good ≥ 2)")
    table.add_row("open questions", fmt(metrics.open_question_share, "{:.0%}"))
    table.add_row("roadblock rate", fmt(metrics.roadblock_rate, "{:.0%}"))
    table.add_row("mean score", fmt(metrics.mean_score, "{:.1f}/5"))
    table.add_row("your share of the words", fmt(metrics.talk_balance, "{:.0%}"))
    reached = f"yes, at turn {metrics.breakthrough_turn}" if metrics.breakthrough else "not reached"
    table.add_row("breakthrough", reached)
    table.add_row("openness", " → ".join(f"{value:.2f}" for value in metrics.openness) or "–")
    console.print(table)
