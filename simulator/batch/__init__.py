"""Batch grading of transcripts: bounded concurrency, rate limits, retries, resume, CSV/JSONL, HTML report."""

from simulator.batch.folder import JobConflict
from simulator.batch.graders import GraderError, GraderSpec
from simulator.batch.runner import BatchOptions, BatchProgress, BatchSummary, NoProgress, run_batch

__all__ = [
    "BatchOptions",
    "BatchProgress",
    "BatchSummary",
    "GraderError",
    "GraderSpec",
    "JobConflict",
    "NoProgress",
    "run_batch",
]
