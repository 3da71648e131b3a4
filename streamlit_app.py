"""`streamlit run streamlit_app.py` from a checkout: runs the app script shipped in simulator/webapp/."""

import runpy

from simulator.webapp import APP_SCRIPT

runpy.run_path(str(APP_SCRIPT), run_name="__main__")
