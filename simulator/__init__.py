"""listenlab: role-play practice for active listening, with graded turns."""

__version__ = "0.1.0"
