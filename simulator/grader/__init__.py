"""Graders: one protocol, an offline classifier and an LLM grader."""

from simulator.grader.base import Grader, GradeRequest

__all__ = ["Grader", "GradeRequest"]
