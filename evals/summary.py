"""Render the results tables of evals/README.md from evals/results/*.json (`python -m evals.summary`).

The blocks between the README's `results:start`/`results:end` and `agreement:start`/`agreement:end`
markers are replaced, so the published figures are always the ones the last runs wrote.
"""

import json
from pathlib import Path

from evals.agreement import markdown_table
from simulator.labels import ALL_LABELS

RESULTS = Path(__file__).parent / "results"
README = Path(__file__).parent / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
AGREEMENT_START, AGREEMENT_END = "<!-- agreement:start -->", "<!-- agreement:end -->"


def _read(name: str) -> dict:
    path = RESULTS / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _row(name: str, result: dict) -> str:
    return (
        f"| {name} | {result['turns']} | {result['macro_f1']:.3f} | {result['primary_macro_f1']:.3f} | "
        f"{result['primary_accuracy']:.3f} | {result['primary_kappa']:.3f} |"
    )


def comparison_table(shipped: dict, embedding: dict) -> list[str]:
    """Both methods on the held-out test splits, and trained on authored rows only -> AnnoMI."""
    lines = [
        "| method, test set | turns | macro-F1 | primary macro-F1 | primary accuracy | kappa |",
        "|---|---|---|---|---|---|",
    ]
    for name, result in shipped.get("test", {}).items():
        lines.append(_row(f"n-grams (shipped), {name}", result))
    for name, methods in shipped.get("cross_domain", {}).items():
        for method, result in methods.items():
            lines.append(_row(f"n-grams ({method}), {name}", result))
    for name in ("annomi_test", "authored_test"):
        if name in embedding:
            lines.append(_row(f"MiniLM embeddings, {name}", embedding[name]))
    for name, result in embedding.get("cross_domain", {}).items():
        lines.append(_row(f"MiniLM embeddings, {name}", result))
    return lines


def per_label_table(shipped: dict) -> list[str]:
    """Precision, recall and F1 of each label's presence on both test sets."""
    lines = [
        "| label | AnnoMI P | R | F1 | gold | authored P | R | F1 | gold |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    parts = [
        {s["label"]: s for s in shipped["test"][name]["per_label"]}
        for name in ("annomi_test", "authored_test")
    ]
    for label in ALL_LABELS:
        cells = []
        for scores in parts:
            s = scores[label.value]
            cells.append(
                f"{s['precision']:.2f} | {s['recall']:.2f} | {s['f1']:.2f} | {s['support']}"
                if s["support"]
                else "– | – | – | 0"
            )
        lines.append(f"| {label.value} | {cells[0]} | {cells[1]} |")
    return lines


def confusion_table(result: dict) -> list[str]:
    """Primary-label confusion (rows gold), gold labels that never occur left out."""
    short = [label.value[:7] for label in ALL_LABELS]
    lines = ["| gold \\ predicted | " + " | ".join(short) + " |", "|---" * (len(short) + 1) + "|"]
    for label, row in zip(ALL_LABELS, result["confusion"], strict=True):
        if sum(row):
            lines.append(f"| {label.value} | " + " | ".join(str(n) if n else "·" for n in row) + " |")
    return lines


def _settings_line(settings: dict) -> str:
    features = settings["features"]
    flags = [name for name in ("positions", "shape", "context", "cues") if features.get(name)]
    return (
        f"Chosen on dev: C = {settings['c_presence']:g}, "
        f"authored rows weigh {settings['authored_weight']:g}, "
        f"character block weight {features['char_weight']:g}, character {features['char_min']}-"
        f"{features['char_max']}-grams, word trigrams {'on' if features['word_trigrams'] else 'off'}, "
        f"feature families {', '.join(flags) or 'none'}, roadblock post-rule "
        f"{'on' if settings['roadblock_rule'] else 'off'}."
    )


def search_table(shipped: dict) -> list[str]:
    """Every setting tried on dev, in the order of the coordinate search."""
    lines = [
        "| dev score | AnnoMI dev | authored dev | cross-domain dev | C | authored weight | char weight "
        "| char n-grams | word trigrams | context | positions | shape | cues |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for step in shipped.get("search", []):
        s, f = step["settings"], step["settings"]["features"]
        parts = " | ".join(
            f"{step[name]:.4f}" if name in step else "–"
            for name in ("annomi_dev", "authored_dev", "cross_domain_dev")
        )
        lines.append(
            f"| {step['dev_score']:.4f} | {parts} | {s['c_presence']:g} | {s['authored_weight']:g} | "
            f"{f['char_weight']:g} | {f['char_min']}-{f['char_max']} | {f['word_trigrams']} | "
            f"{f['context']} | {f['positions']} | {f['shape']} | {f.get('cues', False)} |"
        )
    return lines


def render() -> str:
    """The whole generated block."""
    shipped, embedding = _read("offline_grader.json"), _read("embedding_comparison.json")
    if not shipped:
        return "(no results yet: run `python -m evals.train`)"
    summary = shipped["summary"]
    files = ", ".join(f"{name} {count:,}" for name, count in summary.get("files", {}).items())
    parts = [
        f"Shipped artifact: `offline@{shipped['version']}`, {shipped['artifact_bytes'] / 1e6:.2f} MB. "
        f"Rows: AnnoMI {summary['rows']['annomi']:,}, authored {summary['rows']['authored']:,} ({files}). "
        f"Test split: AnnoMI {summary['test']['annomi']:,} turns from its held-out transcripts, authored "
        f"{summary['test']['authored']:,}. AnnoMI information turns as `{summary['annomi_information_as']}`.",
        "",
        _settings_line(shipped["settings"]),
        "",
        *comparison_table(shipped, embedding),
        "",
        "Per label (presence), shipped model, held-out test:",
        "",
        *per_label_table(shipped),
    ]
    if shipped.get("search"):
        parts += [
            "",
            "Dev search (each row changes one setting of the best row so far; the best is kept):",
            "",
            *search_table(shipped),
        ]
    for name in ("annomi_test", "authored_test"):
        parts += [
            "",
            f"Primary-label confusion, {name} (rows gold, columns predicted):",
            "",
            *confusion_table(shipped["test"][name]),
        ]
    return "\n".join(parts)


def render_agreement() -> str:
    """The agreement table from evals/results/agreement.json."""
    figures = _read("agreement.json")
    if not figures:
        return "(no agreement figures yet: run `python -m evals.train`)"
    return "\n".join(markdown_table(figures))


def replace_block(text: str, start: str, end: str, block: str) -> str:
    """`text` with what lies between the two markers replaced by `block` (unchanged without markers)."""
    if start not in text or end not in text:
        return text
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}\n{end}{tail}"


def main() -> None:
    """Rewrite the generated blocks of evals/README.md."""
    text = README.read_text(encoding="utf-8")
    text = replace_block(text, START, END, render())
    text = replace_block(text, AGREEMENT_START, AGREEMENT_END, render_agreement())
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
