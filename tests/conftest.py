"""Shared test set-up: loopback-only network, and a failing run when a required test skips."""

import os
import socket

import pytest

from tests.fixtures_llm import _openai_server_for_session, llm_persona, openai_backend, openai_server  # noqa: F401

pytest_plugins = ["tests.fixtures_db", "tests.fixtures_app"]

LOOPBACK = {"127.0.0.1", "::1", "localhost", "0.0.0.0"}
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _host_of(address) -> str | None:
    return address[0] if isinstance(address, tuple) else None


def _guard(connect):
    def guarded(sock, address):
        host = _host_of(address)
        if host is not None and host not in LOOPBACK and not host.startswith("127."):
            raise OSError(f"tests may not reach the network (tried {host})")
        return connect(sock, address)

    return guarded


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Any connection beyond loopback fails the test that makes it."""
    monkeypatch.setattr(socket.socket, "connect", _guard(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guard(_real_connect_ex))


def pytest_sessionfinish(session, exitstatus):
    """With LISTENLAB_REQUIRE_ALL=1 (CI), any skipped test fails the run."""
    if os.environ.get("LISTENLAB_REQUIRE_ALL") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"LISTENLAB_REQUIRE_ALL=1: {len(skipped)} test(s) skipped; every test must run.", red=True
        )
        session.exitstatus = 1
