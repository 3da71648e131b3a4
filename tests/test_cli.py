"""The `listenlab` command line: personas list/check and unattended chat with JSON output."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from simulator.cli import app
from tests.cli_runner import run_chat_json
from tests.persona_factory import persona_data

BAD = Path(__file__).parent / "data" / "bad_personas"
runner = CliRunner()


def test_personas_lists_the_named_personas_as_json():
    result = runner.invoke(app, ["personas", "--json"])
    assert result.exit_code == 0, result.output
    ids = {row["id"] for row in json.loads(result.stdout)}
    assert {"stressed-partner", "frustrated-client", "quiet-employee"} <= ids and len(ids) >= 6


def test_personas_table_shows_titles():
    result = runner.invoke(app, ["personas"])
    assert result.exit_code == 0 and "stressed-partner" in result.stdout


def test_personas_check_passes_shipped_files():
    result = runner.invoke(app, ["personas", "check"])
    assert result.exit_code == 0 and result.stdout.count("is valid") >= 6


def test_personas_check_names_file_and_field_of_a_bad_file():
    bad = sorted(BAD.glob("*.yaml"))
    result = runner.invoke(app, ["personas", "check", *map(str, bad)])
    assert result.exit_code == 1
    assert str(bad[0]) in result.stderr and f"{len(bad)} of {len(bad)} file(s)" in result.stderr


def test_personas_check_refuses_a_huge_file_and_a_deep_one_with_clear_problems(tmp_path):
    huge = tmp_path / "huge.yaml"
    text = yaml.safe_dump(persona_data(id="huge"))
    huge.write_text(text.replace("Works long shifts", "x" * 20_000_000), encoding="utf-8")
    deep = tmp_path / "deep.yaml"
    deep.write_text("id: deep\ntitle: " + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    result = runner.invoke(app, ["personas", "check", str(huge), str(deep)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    problems = " ".join(result.stderr.split())
    assert f"{huge}: (file): {huge.stat().st_size:,} bytes is over the limit of 256 KB" in problems
    assert f"{deep}:2: too deep: nested deeper than 20 levels" in problems
    assert "2 of 2 file(s) have problems" in problems


def test_chat_script_json_runs_unattended(tmp_path):
    script = tmp_path / "turns.txt"
    script.write_text("That sounds like a long shift.\n\nWhat was the worst part?\nYou should sleep.\n")
    out = run_chat_json(["--persona", "stressed-partner", "--script", str(script)], _env(tmp_path))
    assert out.returncode == 0, out.stderr
    session = json.loads(out.stdout)
    roles = [turn["role"] for turn in session["turns"]]
    assert roles == ["persona", "learner", "persona", "learner", "persona", "learner", "persona"]
    learner = [turn for turn in session["turns"] if turn["role"] == "learner"]
    assert {"labels", "primary", "score", "rationale", "suggestion", "grader"} <= set(learner[0]["grade"])
    assert learner[2]["grade"]["primary"] == "advice"
    summary = session["summary"]
    assert isinstance(summary["breakthrough"], bool) and len(summary["openness"]) == 3


def test_chat_unknown_persona_says_which_exist(tmp_path):
    result = runner.invoke(app, ["chat", "--persona", "nobody"], env=_env(tmp_path))
    assert result.exit_code == 2 and "stressed-partner" in result.stderr


@pytest.mark.timeout(60)
def test_chat_interactive_reads_until_end(tmp_path):
    result = runner.invoke(
        app, ["chat", "--persona", "quiet-employee"], input="How are things?\n/end\n", env=_env(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert "Session summary" in result.stdout and "you ›" in result.stdout


def _env(tmp_path):
    import os

    return {**os.environ, "LISTENLAB_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}


def test_chat_without_a_model_server_says_which_variables_to_set(tmp_path):
    env = {**_env(tmp_path), "LISTENLAB_SPEAKER": "openai", "OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""}
    result = runner.invoke(app, ["chat", "--persona", "stressed-partner"], env=env)
    assert result.exit_code == 2
    assert "OPENAI_BASE_URL" in result.stderr and "Traceback" not in result.output
