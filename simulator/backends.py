"""Build the configured speaker and graders from Settings (the one place choices become objects)."""

from functools import cache

from simulator.grader.base import Grader
from simulator.settings import Settings
from simulator.speaker.base import Speaker
from simulator.speaker.scripted import ScriptedSpeaker


def make_speaker(settings: Settings) -> Speaker:
    """The speaker named by settings.speaker."""
    if settings.speaker == "scripted":
        return ScriptedSpeaker()
    from simulator.llm import make_chat_backend
    from simulator.speaker.model import ModelSpeaker

    backend = make_chat_backend(settings, settings.speaker)
    return ModelSpeaker(backend)


@cache
def fast_grader() -> Grader:
    """The offline classifier that drives the persona (loaded once per process)."""
    from simulator.grader.offline import load_offline_grader

    return load_offline_grader()


def make_feedback_grader(settings: Settings) -> Grader:
    """The grader named by settings.grader (the offline one is shared with the fast path)."""
    if settings.grader == "offline":
        return fast_grader()
    from simulator.grader.llm_grader import LLMGrader
    from simulator.llm import make_chat_backend

    return LLMGrader(make_chat_backend(settings, "openai"))
