"""ModelSpeaker: its prompt from persona + hidden state, and its reply streamed through a real client."""

from dataclasses import replace

import pytest

from simulator.dynamics import initial_state
from simulator.labels import Label
from simulator.llm import BackendError
from simulator.speaker.base import SpeakerRequest, Utterance
from simulator.speaker.model import ModelSpeaker, clean_stream

HISTORY = (
    Utterance("persona", "Hey. Don't ask."),
    Utterance("learner", "Sounds like today took everything out of you."),
)


def request_for(persona, **state_changes) -> SpeakerRequest:
    state = replace(initial_state(persona), turn=1, **state_changes)
    return SpeakerRequest(persona=persona, state=state, history=HISTORY)


def system_text(speaker: ModelSpeaker, request: SpeakerRequest) -> str:
    return speaker.messages(request)[0].content


def test_opening_is_the_authored_line(openai_backend, llm_persona):
    assert ModelSpeaker(openai_backend).opening(llm_persona) == "Hey. Don't ask."


def test_reply_streams_through_the_real_client(openai_server, openai_backend, llm_persona):
    openai_server.enqueue("Yeah. It's been a long month, honestly.")
    pieces = list(ModelSpeaker(openai_backend).stream_reply(request_for(llm_persona, reaction="deeper")))
    assert len(pieces) > 3
    assert "".join(pieces) == "Yeah. It's been a long month, honestly."


def test_history_becomes_chat_messages_after_the_persona_prompt(openai_server, openai_backend, llm_persona):
    list(ModelSpeaker(openai_backend).stream_reply(request_for(llm_persona, reaction="deeper")))
    sent = openai_server.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "assistant", "user"]
    assert sent[1]["content"] == "Hey. Don't ask." and sent[2]["content"].startswith("Sounds like")
    assert "Tired partner" in sent[0]["content"] and "one short sentence" in sent[0]["content"]


def test_only_unlocked_layers_are_disclosed(openai_backend, llm_persona):
    speaker = ModelSpeaker(openai_backend)
    deeper = "two other people's jobs"
    assert deeper not in system_text(speaker, request_for(llm_persona, layer=0, reaction="deeper"))
    assert deeper in system_text(speaker, request_for(llm_persona, layer=1, reaction="deeper"))


@pytest.mark.parametrize(
    ("reaction", "trigger", "expected"),
    [
        ("pushback", Label.ADVICE, "advice you did not ask for"),
        ("pushback", Label.JUDGMENT, "get defensive"),
        ("deeper", Label.REFLECTION, "open up a little more"),
        ("answer", Label.OPEN_QUESTION, "open question"),
        ("shutdown", Label.ADVICE, "short, guarded answer"),
        ("breakthrough", Label.VALIDATION, "To have the effort seen by someone."),
    ],
)
def test_the_prompt_says_how_to_react_now(openai_backend, llm_persona, reaction, trigger, expected):
    text = system_text(
        ModelSpeaker(openai_backend), request_for(llm_persona, reaction=reaction, trigger=trigger)
    )
    assert expected in text


def test_an_authored_line_for_the_reaction_sets_the_tone(openai_backend, llm_persona):
    text = system_text(
        ModelSpeaker(openai_backend), request_for(llm_persona, reaction="pushback", trigger=Label.ADVICE)
    )
    assert "I didn't ask for a plan." in text or "I know what I should do." in text


def test_hidden_feelings_stay_hidden_before_the_breakthrough(openai_backend, llm_persona):
    text = system_text(ModelSpeaker(openai_backend), request_for(llm_persona, reaction="deeper"))
    assert "invisible" not in text and "To have the effort seen" not in text


def test_role_prefix_and_next_turn_are_stripped(openai_server, openai_backend, llm_persona):
    openai_server.enqueue("Tired partner: *sighs* Yeah. Long day.\nUser: What happened?")
    reply = "".join(ModelSpeaker(openai_backend).stream_reply(request_for(llm_persona, reaction="neutral")))
    assert reply == "Yeah. Long day."


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Assistant: Fine.", "Fine."),
        ("(quietly) I suppose.", "I suppose."),
        ("You know, it's hard.", "You know, it's hard."),
        ("Well: it's complicated.", "Well: it's complicated."),
        ("I feel alone.\n\nLearner: so?", "I feel alone."),
    ],
)
def test_cleaning_works_piece_by_piece(raw, clean):
    for size in (1, 3, 100):
        pieces = [raw[i : i + size] for i in range(0, len(raw), size)]
        assert "".join(clean_stream(pieces, ["Tired partner"])) == clean


def test_speaker_name_carries_the_prompt_version(openai_backend):
    assert ModelSpeaker(openai_backend).name == "openai:test-model@speaker_v1"
    assert ModelSpeaker(openai_backend, name="openai:custom").name == "openai:custom"


def test_a_cut_stream_surfaces_as_backend_error(openai_server, openai_backend, llm_persona):
    openai_server.fail_next("cut_stream")
    with pytest.raises(BackendError) as caught:
        list(ModelSpeaker(openai_backend).stream_reply(request_for(llm_persona, reaction="deeper")))
    assert caught.value.kind == "cut_stream"


def test_the_prompt_file_covers_every_reaction_roadblock_and_verbosity():
    from typing import get_args

    from simulator.dynamics import Reaction
    from simulator.labels import ROADBLOCKS
    from simulator.prompts import load_prompt

    sections = load_prompt("speaker_v1").sections()
    needed = {f"reaction.{r}" for r in get_args(Reaction) if r != "pushback"}
    needed |= {f"pushback.{label}" for label in ROADBLOCKS}
    needed |= {f"length.{verbosity}" for verbosity in ("terse", "medium", "chatty")}
    assert needed <= set(sections), needed - set(sections)
    with pytest.raises(KeyError, match="speaker_v1"):
        load_prompt("speaker_v1").section("no-such-section")
