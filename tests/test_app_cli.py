"""`listenlab app` and the app frame: the command it runs, the navigation layout, the settings sidebar."""

from pathlib import Path

import typer
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import simulator
from simulator import cli_app
from tests.fixtures_app import APP, CHECKOUT_APP, PAGES_DIR, PRACTICE, page


def test_the_app_command_runs_streamlit_headless_on_the_bundled_app():
    command = cli_app.streamlit_command("127.0.0.1", 8765)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert Path(command[4]) == APP
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8765"
    assert options["--server.headless"] == "true"


def test_register_adds_an_app_command_that_starts_streamlit(monkeypatch):
    started = []
    monkeypatch.setattr(cli_app.os, "execv", lambda path, argv: started.append(argv))
    app = typer.Typer()
    app.callback()(lambda: None)
    cli_app.register(app)
    result = CliRunner().invoke(app, ["app", "--address", "0.0.0.0", "--port", "9000"])
    assert result.exit_code == 0, result.output
    assert started == [cli_app.streamlit_command("0.0.0.0", 9000)]
    assert "http://0.0.0.0:9000/practice" in result.output


def test_pages_live_outside_a_pages_folder():
    # Streamlit treats a "pages/" folder next to the entry script as a legacy multipage app until
    # st.navigation has run once; a first visit to /practice?persona=... would then skip the frame.
    for entry_folder in (APP.parent, CHECKOUT_APP.parent):
        assert not (entry_folder / "pages").exists(), "move page scripts into simulator/webapp/app_pages/"


def test_the_app_scripts_ship_inside_the_package():
    package = Path(simulator.__file__).resolve().parent
    assert APP.is_file() and APP.is_relative_to(package)
    assert PAGES_DIR.is_relative_to(package)
    pages = {"practice.py", "debrief.py", "history.py", "personas.py"}
    assert pages <= {path.name for path in PAGES_DIR.glob("*.py")}


def test_the_checkout_entry_script_runs_the_packaged_app(app_env):
    at = AppTest.from_file(str(CHECKOUT_APP), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Speaker: `scripted`" in "\n".join(m.value for m in at.sidebar.markdown)
    assert at.switch_page(PRACTICE).run().title[0].value == "Practise listening"


def test_the_sidebar_shows_the_active_speaker_and_grader_and_how_to_switch(app_env):
    at = page(PRACTICE)
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "Speaker: `scripted`" in sidebar
    assert "Grader: `keywords@1`" in sidebar
    assert "LISTENLAB_SPEAKER=openai" in sidebar and "OPENAI_BASE_URL" in sidebar
    assert "LISTENLAB_GGUF=/path/to/model.gguf" in sidebar
    assert str(app_env / "app.db") in "\n".join(c.value for c in at.sidebar.caption)


def test_a_speaker_that_cannot_start_is_reported_and_replaced(app_env, monkeypatch):
    monkeypatch.setenv("LISTENLAB_SPEAKER", "openai")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = page(PRACTICE)
    assert not at.exception
    warning = at.sidebar.warning[0].value
    assert "The openai speaker could not start" in warning and "OPENAI_BASE_URL" in warning
    assert "using the scripted speaker" in warning
