"""`streamlit run streamlit_app.py` from a checkout: the app shipped in simulator/webapp/, with its login
routes (the same server `listenlab app` starts)."""

import streamlit as st

from simulator.webapp.server import app_options

app = st.App(**app_options())
