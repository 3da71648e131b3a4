"""listenlab in the browser: the navigation between pages and the settings sidebar; pages only render."""

from pathlib import Path

import streamlit as st

from simulator.app.state import DEBRIEF_PAGE, PAGES_DIR, PRACTICE_PAGE, services
from simulator.app.widgets import sidebar_setup

BATCH_PAGE = f"{PAGES_DIR}/batch.py"


def home() -> None:
    """The app's root opens the practice page at its own address, so /practice?persona=ID links work."""
    st.switch_page(PRACTICE_PAGE, query_params=st.query_params.to_dict())


def app_pages() -> list:
    """The pages; the root opens Practice, and Batch grading joins when its page is installed."""
    pages = [
        st.Page(home, title="Home", url_path="home", default=True, visibility="hidden"),
        st.Page(PRACTICE_PAGE, title="Practice", url_path="practice"),
        st.Page(DEBRIEF_PAGE, title="Debrief", url_path="debrief"),
        st.Page(f"{PAGES_DIR}/history.py", title="History and progress", url_path="history"),
        st.Page(f"{PAGES_DIR}/personas.py", title="Personas", url_path="personas"),
    ]
    if Path(BATCH_PAGE).is_file():
        pages.append(st.Page(BATCH_PAGE, title="Batch grading", url_path="batch"))
    return pages


st.set_page_config(page_title="listenlab", layout="wide")
page = st.navigation(app_pages())
sidebar_setup(services())
page.run()
