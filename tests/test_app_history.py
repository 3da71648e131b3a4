"""AppTest: history of past sessions and progress per skill (first / best / latest) with charts."""

from simulator.access import LOCAL_ACTOR
from tests.fixtures_app import HISTORY, button, page
from tests.test_app_debrief import practise


def test_history_is_empty_until_a_session_is_finished(app_env):
    at = page(HISTORY)
    assert at.title[0].value == "History and progress"
    assert "Nothing here yet" in at.info[0].value


def test_history_lists_sessions_and_progress_per_skill(app_env, svc):
    practise(svc, ["You should sleep early.", "Did you eat?"])
    practise(svc, ["It sounds like a hard day.", "What happened at work?"])
    at = page(HISTORY)
    assert not at.exception
    assert at.subheader[0].value == "Progress over 2 session(s)"
    progress = at.dataframe[0].value.set_index("skill")
    score = progress.loc["Listening quality (mean score, 1-5)"]
    assert (score["first"], score["best"], score["latest"], score["since first"]) == (
        "2.50",
        "4.25",
        "4.25",
        "↑ better",
    )
    roadblocks = progress.loc["Roadblocks (share of your turns)"]
    assert (roadblocks["first"], roadblocks["best"], roadblocks["latest"]) == ("50%", "0%", "0%")
    assert len(at.get("vega_lite_chart")) == 1
    sessions = at.dataframe[1].value
    assert list(sessions["persona"]) == ["Test person", "Test person"]
    assert list(sessions["turns"]) == [2, 2]


def test_a_past_session_opens_its_debrief(app_env, svc):
    first = practise(svc, ["You should sleep early."])
    practise(svc, ["It sounds like a hard day."])
    at = page(HISTORY)
    at.selectbox[0].set_value(first).run()
    button(at, "Open its debrief").click().run()
    assert at.title[0].value == "Debrief: Test person"
    assert at.query_params["session"] == first


def test_the_local_learner_deletes_all_their_sessions_after_confirming(app_env, svc):
    practise(svc, ["It sounds like a long day."])
    practise(svc, ["What happened?"])
    at = page(HISTORY)
    assert button(at, "Delete all my data").disabled is True
    at.checkbox[0].check().run()
    button(at, "Delete all my data").click().run()
    assert at.success[0].value == "Deleted 2 session(s)."
    assert svc.history(LOCAL_ACTOR) == []
