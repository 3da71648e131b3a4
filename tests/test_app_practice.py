"""AppTest: the practice page — persona cards, ?persona= links, a short session with feedback, ending it."""

import time

from simulator import backends
from simulator.access import LOCAL_ACTOR
from simulator.app.services import coalesce
from simulator.labels import PLAIN_WORDS, Label
from simulator.store import load_session, open_session_id
from tests.fakes import FakeSpeaker, grade_of
from tests.fixtures_app import PRACTICE, button, new_app, page, say, texts

OPENING = "Don't ask. Long day."


def test_the_practice_page_offers_every_persona_as_a_card(app_env):
    at = new_app().run()
    assert not at.exception
    assert at.title[0].value == "Practise listening"
    labels = [b.label for b in at.button]
    assert "Practise with Test person" in labels
    assert "Practise with Stressed partner" in labels
    assert "Understand what is really wrong." in texts(at)


def test_choosing_a_persona_opens_the_conversation_and_stores_it(app_env, svc):
    at = new_app().run()
    button(at, "Practise with Test person").click().run()
    assert at.title[0].value == "Test person"
    assert [m.name for m in at.chat_message] == ["assistant"]
    assert at.chat_message[0].markdown[0].value == OPENING
    session_id = open_session_id(svc.engine, LOCAL_ACTOR)
    assert load_session(svc.engine, session_id, LOCAL_ACTOR).turns[0].text == OPENING


def test_a_persona_link_opens_that_persona_at_once(app_env):
    at = new_app()
    at.query_params["persona"] = "test-person"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Test person"
    assert at.chat_message[0].markdown[0].value == OPENING
    assert "persona" not in at.query_params


def test_a_link_to_an_unknown_persona_says_so_and_shows_the_cards(app_env):
    at = new_app()
    at.query_params["persona"] = "nobody"
    at.run()
    assert "There is no persona “nobody”" in at.error[0].value
    assert at.title[0].value == "Practise listening"


def test_a_short_session_shows_feedback_beside_each_turn(app_env, svc):
    at = page(PRACTICE, persona="test-person")
    say(
        at,
        "It sounds like today took everything out of you.",
        "What happened at work?",
        "You should sleep early.",
    )
    names = [m.name for m in at.chat_message]
    assert names == ["assistant", "user", "assistant", "user", "assistant", "user", "assistant"]
    shown = texts(at)
    assert "4.5/5" in shown and "2/5" in shown
    for label in (Label.REFLECTION, Label.OPEN_QUESTION, Label.ADVICE):
        assert PLAIN_WORDS[label] in shown
    why = [e for e in at.expander if e.label == "Why, and a better reply"]
    assert len(why) == 3
    assert "It sounds like the week has been relentless." in "\n".join(m.value for m in why[2].markdown)
    stored = load_session(svc.engine, open_session_id(svc.engine, LOCAL_ACTOR), LOCAL_ACTOR)
    assert [t.role for t in stored.turns] == ["persona", "learner"] * 3 + ["persona"]
    assert stored.turns[5].grade.primary == Label.ADVICE


def test_the_openness_meter_is_off_until_the_learner_turns_it_on(app_env):
    at = say(page(PRACTICE, persona="test-person"), "It sounds like a hard day.")
    assert len(at.get("progress")) == 0
    at.toggle[0].set_value(True).run()
    meters = at.get("progress")
    assert len(meters) == 2
    assert "How open they are now" in meters[0].proto.text


def test_end_session_leads_to_the_debrief(app_env, svc):
    at = say(page(PRACTICE, persona="test-person"), "It sounds like a hard day.")
    session_id = open_session_id(svc.engine, LOCAL_ACTOR)
    button(at, "End session").click().run()
    assert not at.exception
    assert at.title[0].value == "Debrief: Test person"
    assert at.query_params["session"] == session_id
    assert open_session_id(svc.engine, LOCAL_ACTOR) is None
    assert load_session(svc.engine, session_id, LOCAL_ACTOR).metrics.learner_turns == 1


def test_a_reload_resumes_the_open_session(app_env):
    say(page(PRACTICE, persona="test-person"), "It sounds like a hard day.")
    again = new_app().run()
    assert [m.name for m in again.chat_message] == ["assistant", "user", "assistant"]
    assert again.chat_message[1].markdown[0].value == "It sounds like a hard day."


def test_a_failed_reply_keeps_the_turn_and_can_be_retried(app_env, svc, monkeypatch):
    monkeypatch.setattr(backends, "make_speaker", lambda settings: FakeSpeaker(fail_on={1}))
    at = say(page(PRACTICE, persona="test-person"), "It sounds like a hard day.")
    assert "Your turn is saved; retry." in at.error[0].value
    stored = load_session(svc.engine, open_session_id(svc.engine, LOCAL_ACTOR), LOCAL_ACTOR)
    assert stored.turns[-1].role == "learner" and stored.turns[-1].text == "It sounds like a hard day."
    button(at, "Retry the reply").click().run()
    assert not at.error
    assert at.chat_message[-1].markdown[0].value == "reply 2"


class SlowGrader:
    """A feedback grader that takes a while (like an LLM grader) and says so in its rationale."""

    name = "slow@1"

    def grade(self, request):
        time.sleep(0.3)
        return grade_of("reflection", "validation", score=5.0, grader=self.name)

    def grade_many(self, requests):
        return [self.grade(request) for request in requests]


def test_slower_feedback_replaces_the_quick_read_when_it_arrives(app_env, monkeypatch):
    monkeypatch.setattr(backends, "make_feedback_grader", lambda settings: SlowGrader())
    at = say(page(PRACTICE, persona="test-person"), "It sounds like a hard day.")
    assert at.chat_message[-1].markdown[0].value, "the reply did not wait for the slow grader"
    assert "Fuller feedback is on its way" in texts(at)
    time.sleep(0.5)
    at.run()
    assert "Fuller feedback is on its way" not in texts(at)
    assert "**5/5**" in texts(at) and "graded by `slow@1`" in texts(at)


def test_coalesce_sends_the_first_piece_at_once_and_batches_the_rest():
    ticks = iter([0.0, 0.0, 0.01, 0.02, 0.05, 0.05, 0.06])
    pieces = iter(["It ", "sounds ", "like ", "a ", "lot."])
    assert list(coalesce(pieces, interval=0.04, clock=lambda: next(ticks))) == [
        "It ",
        "sounds like a ",
        "lot.",
    ]


def test_a_second_tab_on_the_same_session_is_told_to_reload_and_overwrites_nothing(app_env, svc):
    first = page(PRACTICE, persona="test-person")
    second = page(PRACTICE)  # a new browser tab resumes the same open session
    session_id = open_session_id(svc.engine, LOCAL_ACTOR)
    say(first, "It sounds like today took everything out of you.")
    second.chat_input[0].set_value("You should sleep early.").run()
    assert not second.exception
    assert (
        "moved on elsewhere" in second.error[0].value and "You should sleep early." in second.error[0].value
    )
    stored = load_session(svc.engine, session_id, LOCAL_ACTOR)
    assert [t.text for t in stored.learner_turns] == ["It sounds like today took everything out of you."]
    button(second, "Reload the session").click().run()
    shown = [m.markdown[0].value for m in second.chat_message]
    assert shown[1] == "It sounds like today took everything out of you." and len(shown) == 3
