"""The web server `listenlab app` runs: the app script behind an ASGI wrapper that adds the login routes."""

import streamlit as st
from sqlalchemy.engine import Engine

from simulator.app.login_routes import login_routes
from simulator.app.state import services
from simulator.settings import Settings
from simulator.webapp import APP_SCRIPT


def store_engine() -> Engine:
    """The store the app's pages use (the same cached services)."""
    return services().engine


def app_options() -> dict:
    """What st.App needs: the app script and the login routes beside it."""
    return {"script_path": str(APP_SCRIPT), "routes": login_routes(store_engine, Settings().base_url)}


app = st.App(**app_options())
