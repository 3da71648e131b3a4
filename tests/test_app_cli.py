"""`listenlab app` and the app frame: the command it runs, the navigation layout, the settings sidebar."""

import runpy
from pathlib import Path

import pytest
import streamlit as st
import typer
from streamlit.web.server.app_discovery import discover_asgi_app
from typer.testing import CliRunner

import simulator
from simulator import cli_app
from simulator.app.login_routes import LOGOUT_PATH, SESSION_PATH
from simulator.webapp import SERVER_SCRIPT
from simulator.webapp.server import app_options
from tests.fixtures_app import APP, CHECKOUT_APP, PAGES_DIR, PRACTICE, page


def test_the_app_command_runs_streamlit_headless_on_the_bundled_server():
    command = cli_app.streamlit_command("127.0.0.1", 8765)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert Path(command[4]) == SERVER_SCRIPT
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8765"
    assert options["--server.headless"] == "true"


def test_register_adds_an_app_command_that_starts_streamlit(monkeypatch):
    monkeypatch.setenv("LISTENLAB_AUTH", "local")
    started = []
    monkeypatch.setattr(cli_app.os, "execv", lambda path, argv: started.append(argv))
    app = typer.Typer()
    app.callback()(lambda: None)
    cli_app.register(app)
    result = CliRunner().invoke(app, ["app", "--address", "0.0.0.0", "--port", "9000"])
    assert result.exit_code == 0, result.output
    assert started == [cli_app.streamlit_command("0.0.0.0", 9000)]
    assert "http://0.0.0.0:9000/ " in result.output


def invoke_app(monkeypatch, *args: str):
    """Run `listenlab app ARGS`; the streamlit command it would start, if any, comes back with the result."""
    started = []
    monkeypatch.setattr(cli_app.os, "execv", lambda path, argv: started.append(argv))
    app = typer.Typer()
    app.callback()(lambda: None)
    cli_app.register(app)
    return CliRunner().invoke(app, ["app", *args]), started


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_without_logins_the_app_refuses_an_address_others_can_reach(monkeypatch, address):
    monkeypatch.setenv("LISTENLAB_AUTH", "none")
    result, started = invoke_app(monkeypatch, "--address", address)
    assert result.exit_code == 2
    assert started == []
    assert f"Refusing to listen on {address}" in result.output
    assert "LISTENLAB_AUTH=local" in result.output and "LISTENLAB_AUTH=oidc" in result.output


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_without_logins_the_app_listens_on_loopback_addresses(monkeypatch, address):
    monkeypatch.setenv("LISTENLAB_AUTH", "none")
    result, started = invoke_app(monkeypatch, "--address", address)
    assert result.exit_code == 0, result.output
    assert started == [cli_app.streamlit_command(address, 8501)]
    assert f"http://{address}:8501/practice" in result.output


def test_the_server_wraps_the_app_script_with_the_login_routes():
    for wrapper in (SERVER_SCRIPT, CHECKOUT_APP):
        assert discover_asgi_app(wrapper).is_asgi_app, f"streamlit run would not serve {wrapper} as ASGI"
        server = runpy.run_path(str(wrapper))["app"]
        assert isinstance(server, st.App)
        assert server.script_path == APP
    assert {route.path for route in app_options()["routes"]} == {SESSION_PATH, LOGOUT_PATH}


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
