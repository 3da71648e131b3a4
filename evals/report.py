"""Show an Agreement: a rich table in the terminal, JSON, and a self-contained HTML page."""

import json
from pathlib import Path

from jinja2 import Environment
from rich import box
from rich.console import Console
from rich.table import Table

from evals.metrics import Agreement
from simulator.labels import SHORT_NAMES, Label

COLUMN_NAMES: dict[Label, str] = {
    Label.REFLECTION: "refl",
    Label.VALIDATION: "valid",
    Label.OPEN_QUESTION: "openQ",
    Label.CLOSED_QUESTION: "closedQ",
    Label.OTHER: "other",
    Label.ADVICE: "advice",
    Label.REASSURANCE: "reass",
    Label.JUDGMENT: "judg",
    Label.SELF_FOCUS: "self",
}

HTML_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
.summary td{text-align:left}
caption{font-weight:600;text-align:left;padding:.3rem 0}
</style></head><body>
<h1>{{ title }}</h1>
<table class="summary"><caption>Summary</caption>
<tr><td>grader</td><td>{{ grader }}</td></tr>
<tr><td>turns</td><td>{{ a.turns }}</td></tr>
<tr><td>macro-F1 (labels present)</td><td>{{ "%.3f"|format(a.macro_f1) }}</td></tr>
<tr><td>primary macro-F1</td><td>{{ "%.3f"|format(a.primary_macro_f1) }}</td></tr>
<tr><td>primary accuracy</td><td>{{ "%.3f"|format(a.primary_accuracy) }}</td></tr>
<tr><td>Cohen's kappa (primary)</td><td>{{ "%.3f"|format(a.primary_kappa) }}</td></tr>
{% for name, f1 in a.family_f1.items() %}<tr><td>label F1, {{ name }} family</td>
<td>{{ "%.3f"|format(f1) }}</td></tr>
{% endfor %}</table>
<table><caption>Per label (presence)</caption>
<tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>gold</th><th>predicted</th></tr>
{% for s in a.per_label %}<tr><td>{{ names[s.label] }}</td>
<td>{{ "%.3f"|format(s.precision) }}</td><td>{{ "%.3f"|format(s.recall) }}</td>
<td>{{ "%.3f"|format(s.f1) }}</td><td>{{ s.support }}</td><td>{{ s.predicted }}</td></tr>
{% endfor %}</table>
<table><caption>Primary label: rows gold, columns predicted</caption>
<tr><th></th>{% for label in a.labels %}<th>{{ names[label] }}</th>{% endfor %}</tr>
{% for row in a.confusion %}<tr><th>{{ names[a.labels[loop.index0]] }}</th>
{% for n in row %}<td>{{ n }}</td>{% endfor %}</tr>
{% endfor %}</table>
</body></html>
"""


def summary_table(result: Agreement, grader: str) -> Table:
    """Per-label precision, recall, F1 and support, with the overall figures in the caption."""
    table = Table(title=f"Agreement with gold labels ({grader}, {result.turns} turns)")
    for heading in ("label", "precision", "recall", "F1", "gold", "predicted"):
        table.add_column(heading, justify="left" if heading == "label" else "right")
    for score in result.per_label:
        table.add_row(
            SHORT_NAMES[score.label],
            f"{score.precision:.3f}",
            f"{score.recall:.3f}",
            f"{score.f1:.3f}",
            str(score.support),
            str(score.predicted),
        )
    table.caption = (
        f"macro-F1 {result.macro_f1:.3f} · primary macro-F1 {result.primary_macro_f1:.3f} · "
        f"primary accuracy {result.primary_accuracy:.3f} · Cohen's kappa {result.primary_kappa:.3f}"
    )
    if result.family_f1:
        families = " · ".join(f"{name} {f1:.3f}" for name, f1 in result.family_f1.items())
        table.caption += f"\nlabel F1 by family: {families}"
    return table


def confusion_table(result: Agreement) -> Table:
    """Primary-label confusion matrix (rows gold, columns predicted)."""
    table = Table(title="Primary label: rows gold, columns predicted", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("gold", no_wrap=True)
    for label in result.labels:
        table.add_column(
            COLUMN_NAMES[label], justify="right", no_wrap=True, min_width=len(COLUMN_NAMES[label])
        )
    for label, row in zip(result.labels, result.confusion, strict=True):
        table.add_row(COLUMN_NAMES[label], *(str(n) if n else "." for n in row))
    return table


def print_report(result: Agreement, grader: str, console: Console | None = None) -> None:
    """Both tables to the terminal."""
    console = console or Console()
    console.print(summary_table(result, grader))
    console.print(confusion_table(result))


def write_json(result: Agreement, grader: str, path: Path) -> None:
    """The agreement figures as JSON, with the grader's name."""
    payload = {"grader": grader, **result.model_dump(mode="json")}
    Path(path).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def render_html(result: Agreement, grader: str, title: str = "Grader agreement") -> str:
    """A self-contained HTML page (inline CSS, no scripts, no external files)."""
    environment = Environment(autoescape=True)
    template = environment.from_string(HTML_TEMPLATE)
    return template.render(a=result, grader=grader, title=title, names=SHORT_NAMES)


def write_html(result: Agreement, grader: str, path: Path) -> None:
    """Write render_html(...) to a file."""
    Path(path).write_text(render_html(result, grader), encoding="utf-8")
