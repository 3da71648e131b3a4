"""`listenlab chat` keeps the terminal safe, reads scripts line by line and never loses an open session."""

import json
import os
import re

import typer
from typer.testing import CliRunner

from simulator.access import LOCAL_ACTOR
from simulator.cli import app
from simulator.personas import load_personas
from simulator.session import PracticeSession
from simulator.speaker.scripted import ScriptedSpeaker
from simulator.store import StoreRecorder, load_session, open_store
from tests.fakes import FakeGrader

runner = CliRunner()
ESCAPES = "\x1b]0;my new title\x07\x1b[2J\x1b[31m\x9b2J\x07"


def env_of(tmp_path, **variables: str) -> dict[str, str]:
    """The environment of a chat on a private database (plus model-server variables when given)."""
    return {**os.environ, "LISTENLAB_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", **variables}


def server_env(tmp_path, server) -> dict[str, str]:
    """A chat whose speaker is the local model server, with no retries (one fault fails one reply)."""
    return env_of(
        tmp_path,
        LISTENLAB_SPEAKER="openai",
        OPENAI_BASE_URL=server.base_url,
        LISTENLAB_MAX_RETRIES="0",
        LISTENLAB_GRADER="offline",
    )


def script_of(tmp_path, text: str, name: str = "turns.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def learner_texts(result) -> list[str]:
    session = json.loads(result.stdout)
    return [turn["text"] for turn in session["turns"] if turn["role"] == "learner"]


def chat(arguments: list[str], env: dict[str, str]):
    return runner.invoke(app, ["chat", *arguments], env=env)


def test_escape_sequences_in_a_model_reply_never_reach_the_terminal(openai_server, tmp_path):
    openai_server.responder = lambda body: f"Fine.{ESCAPES} Really\x1b[0m fine.\tOkay.\r\x08"
    script = script_of(tmp_path, "How was your day?\n")
    result = chat(["-p", "stressed-partner", "--script", script], server_env(tmp_path, openai_server))
    assert result.exit_code == 0, result.output
    assert "Really fine." in result.stdout and "my new title" not in result.output
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.output)


def test_a_script_ends_at_an_end_line(tmp_path):
    script = script_of(tmp_path, "That sounds like a long shift.\n  /END \nYou should sleep more.\n")
    result = chat(["-p", "stressed-partner", "--script", script, "--json"], env_of(tmp_path))
    assert result.exit_code == 0, result.output
    assert learner_texts(result) == ["That sounds like a long shift."]


def test_script_lines_split_at_newlines_only(tmp_path):
    script = script_of(tmp_path, "It sounds\vlike a long\u2028day.\r\nWhat happened\x1cthen?\n")
    result = chat(["-p", "stressed-partner", "--script", script, "--json"], env_of(tmp_path))
    assert result.exit_code == 0, result.output
    assert learner_texts(result) == ["It sounds\vlike a long\u2028day.", "What happened\x1cthen?"]


def test_a_script_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    script = tmp_path / "turns.txt"
    script.write_bytes(b"Hello there.\nIt sounds hard\xff.\n")
    result = chat(["-p", "stressed-partner", "--script", str(script)], env_of(tmp_path))
    assert result.exit_code == 2
    assert f"{script}:2: not UTF-8" in result.stderr and "Traceback" not in result.output


def resume_hint(result) -> str:
    """The session id in the 'carry on with listenlab chat --resume ID' line."""
    match = re.search(r"listenlab chat --resume (\w+)", " ".join(result.stderr.split()))
    assert match, result.output
    return match[1]


def test_a_failed_reply_leaves_the_session_open_and_resume_carries_on(openai_server, tmp_path):
    env = server_env(tmp_path, openai_server)
    openai_server.fail_next("server")
    first = script_of(tmp_path, "That sounds like a long shift.\nWhat was the worst part?\n")
    failed = chat(["-p", "stressed-partner", "--script", first], env)
    assert failed.exit_code == 1
    session_id = resume_hint(failed)
    store = open_store(env["LISTENLAB_DB_URL"])
    stored = load_session(store, session_id, LOCAL_ACTOR)
    assert stored.ended_at is None
    assert [turn.text for turn in stored.learner_turns] == ["That sounds like a long shift."]

    second = script_of(tmp_path, "Tell me more.\n", "more.txt")
    resumed = chat(["--resume", session_id, "--script", second, "--json"], env)
    assert resumed.exit_code == 0, resumed.output
    session = json.loads(resumed.stdout)
    assert session["session_id"] == session_id
    assert [turn["role"] for turn in session["turns"]] == ["persona", "learner"] * 2 + ["persona"]
    stored = load_session(store, session_id, LOCAL_ACTOR)
    assert stored.ended_at is not None and len(stored.turns) == 5


def test_resume_refuses_an_ended_session_and_an_unknown_one(tmp_path):
    env = env_of(tmp_path)
    done = chat(["-p", "stressed-partner", "--script", script_of(tmp_path, "Hm.\n"), "--json"], env)
    session_id = json.loads(done.stdout)["session_id"]
    ended = chat(["--resume", session_id], env)
    assert ended.exit_code == 2 and "has ended" in ended.stderr
    unknown = chat(["--resume", "nosuchsession"], env)
    assert unknown.exit_code == 2 and "You do not have access to session nosuchsession" in unknown.stderr
    no_persona = chat([], env)
    assert no_persona.exit_code == 2 and "--persona" in no_persona.stderr


def open_session_in(store, persona_id: str) -> str:
    """A session left open after its opening line (as a closed terminal leaves one)."""
    persona = load_personas()[persona_id]
    recorder = StoreRecorder(store)
    recorder.remember_persona(persona)
    session = PracticeSession.begin(persona, ScriptedSpeaker(), FakeGrader(), recorder=recorder)
    return session.id


def test_resume_with_the_persona_named_carries_on_and_refuses_another(tmp_path):
    env = env_of(tmp_path)
    store = open_store(env["LISTENLAB_DB_URL"])
    session_id = open_session_in(store, "quiet-employee")
    other = chat(["-p", "stressed-partner", "--resume", session_id], env)
    assert other.exit_code == 2 and "is with persona 'quiet-employee'" in other.stderr
    resumed = runner.invoke(
        app,
        ["chat", "-p", "quiet-employee", "--resume", session_id],
        input="How are things?\n/end\n",
        env=env,
    )
    assert resumed.exit_code == 0, resumed.output
    stored = load_session(store, session_id, LOCAL_ACTOR)
    assert [turn.text for turn in stored.learner_turns] == ["How are things?"]
    assert stored.ended_at is not None and stored.turns[-1].role == "persona"


def command_options(command: str) -> set[str]:
    """The long option names a listenlab command takes."""
    group = typer.main.get_command(app)
    params = group.commands[command].params  # type: ignore[attr-defined]
    names = [name for param in params for name in [*param.opts, *param.secondary_opts]]
    return {name for name in names if name.startswith("--")}


def options_named(text: str) -> list[tuple[str, str]]:
    """(command, --option) for each option a message names; the command is the last `listenlab X`
    before it in the same clause, else chat (the command that printed it)."""
    named = []
    for clause in re.split(r"[;.]\s", text):
        command = "chat"
        for match in re.finditer(r"listenlab ([a-z-]+)|(--[a-z][a-z-]*)", clause):
            command, option = (match[1], None) if match[1] else (command, match[2])
            if option:
                named.append((command, option))
    return named


def test_a_rate_limited_reply_names_only_options_that_exist(openai_server, tmp_path):
    openai_server.fail_next("rate_limit")
    script = script_of(tmp_path, "How was your day?\n")
    result = chat(["-p", "stressed-partner", "--script", script], server_env(tmp_path, openai_server))
    assert result.exit_code == 1 and "429" in result.stderr
    named = options_named(" ".join(result.stderr.split()))
    assert ("chat", "--resume") in named
    for command, option in named:
        assert option in command_options(command), f"{command} has no {option}: {result.stderr}"
