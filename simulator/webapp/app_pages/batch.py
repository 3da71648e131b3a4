"""Batch grading: upload transcripts, choose the grader, run with progress, browse and download results."""

import streamlit as st

from simulator.batch import BatchOptions, GraderError, GraderSpec, JobConflict
from simulator.batch.workspace import BatchWorkspace, Upload
from simulator.settings import Settings
from simulator.transcripts import SUPPORTED

WORKSPACE_KEY = "listenlab_batch"
FILE_TYPES = [suffix.lstrip(".") for suffix in SUPPORTED.split(", ")] + ["zip"]
DOWNLOADS = [
    ("report.html", "text/html"),
    ("turns.csv", "text/csv"),
    ("turns.jsonl", "application/jsonl"),
    ("transcripts.csv", "text/csv"),
    ("skipped.csv", "text/csv"),
]


class PageProgress:
    """BatchProgress on a Streamlit progress bar."""

    def __init__(self):
        self.bar = st.progress(0.0, text="Starting…")
        self.phase, self.total, self.done, self.failed = "", 0, 0, 0

    def start(self, phase: str, total: int, done: int = 0) -> None:
        self.phase, self.total, self.done, self.failed = phase, total, done, 0
        self.show()

    def advance(self, done: int, failed: int = 0) -> None:
        self.done, self.failed = self.done + done, self.failed + failed
        self.show()

    def show(self) -> None:
        failed = f", {self.failed} failed" if self.failed else ""
        self.bar.progress(
            self.done / self.total if self.total else 1.0,
            text=f"{self.phase} {self.done} of {self.total}{failed}",
        )


def workspace() -> BatchWorkspace:
    if WORKSPACE_KEY not in st.session_state:
        st.session_state[WORKSPACE_KEY] = BatchWorkspace()
    return st.session_state[WORKSPACE_KEY]


def chosen_options() -> BatchOptions:
    """The grader and limits chosen on the page."""
    left, middle, right = st.columns(3)
    grader = left.radio(
        "Grader",
        ["offline", "llm"],
        horizontal=True,
        help="offline: the classifier shipped with listenlab. llm: the model server in your settings.",
    )
    granularity = middle.radio(
        "LLM calls",
        ["turn", "transcript"],
        horizontal=True,
        disabled=grader != "llm",
        format_func=lambda g: f"one per {g}",
    )
    concurrency = right.number_input(
        "Calls at once", min_value=1, max_value=256, value=8, disabled=grader != "llm"
    )
    listeners = st.text_input(
        "Listener names (comma-separated)",
        placeholder="e.g. Maria Lopez, coach",
        help="Whose turns are graded. Leave empty to detect coach / therapist / learner roles.",
    )
    settings = Settings().model_dump(mode="json") if grader == "llm" else {}
    spec = GraderSpec(kind=grader, granularity=granularity if grader == "llm" else "turn", settings=settings)
    names = [name.strip() for name in listeners.split(",") if name.strip()]
    return BatchOptions(
        inputs=[], out=workspace().out, grader=spec, concurrency=int(concurrency), listeners=names
    )


def run(files, options: BatchOptions) -> None:
    uploads = [Upload(file.name, file.getvalue()) for file in files]
    try:
        workspace().run(uploads, options, PageProgress())
    except (JobConflict, GraderError) as exc:
        st.error(str(exc))


def summary_metrics(ws: BatchWorkspace) -> None:
    summary = ws.summary
    columns = st.columns(5)
    columns[0].metric("Transcripts", summary.transcripts)
    columns[1].metric("Graded turns", summary.graded)
    columns[2].metric("Failed", summary.failed)
    columns[3].metric("Skipped inputs", summary.skipped)
    columns[4].metric("Seconds", f"{summary.seconds:.1f}")
    for problem in ws.problems:
        st.warning(problem)


def browse(ws: BatchWorkspace) -> None:
    report, transcripts, turns, skipped = st.tabs(["Report", "Transcripts", "Turns", "Skipped"])
    with report:
        st.iframe(ws.out / "report.html", height=900)  # our own escaped HTML: no scripts, nothing fetched
    with transcripts:
        st.dataframe(ws.rows("transcripts.csv"), hide_index=True)
    with turns:
        rows = ws.rows("turns.csv")
        labels = sorted({row["primary"] for row in rows if row["primary"]})
        wanted = st.multiselect("Primary label", labels)
        st.dataframe([row for row in rows if not wanted or row["primary"] in wanted], hide_index=True)
    with skipped:
        st.dataframe(ws.rows("skipped.csv"), hide_index=True)


def downloads(ws: BatchWorkspace) -> None:
    columns = st.columns(len(DOWNLOADS) + 1)
    for column, (name, mime) in zip(columns, DOWNLOADS, strict=False):
        column.download_button(name, ws.file(name), file_name=name, mime=mime)
    columns[-1].download_button(
        "all (zip)", ws.zipped(), file_name="listenlab-batch.zip", mime="application/zip"
    )


st.title("Batch grading")
st.caption(
    "Grade every listener turn of many transcripts: Zoom/Teams captions (.vtt, .srt), chat logs (.jsonl), "
    "CSV (speaker, text) or 'Name: line' text. A .zip of a folder works too."
)
files = st.file_uploader("Transcripts", type=FILE_TYPES, accept_multiple_files=True)
options = chosen_options()
if st.button("Grade", type="primary", disabled=not files):
    run(files, options)
ws = workspace()
if ws.summary is not None:
    summary_metrics(ws)
    downloads(ws)
    browse(ws)
