"""Speakers: the simulated person's next utterance, streamed (scripted, llama, openai)."""

from simulator.speaker.base import Speaker, SpeakerRequest, Utterance

__all__ = ["Speaker", "SpeakerRequest", "Utterance"]
