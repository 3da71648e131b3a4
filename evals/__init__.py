"""Grader evaluation: labelled data the project owns, splits, training and agreement reports."""
