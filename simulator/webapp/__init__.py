"""The browser app's scripts, shipped inside the package: the Streamlit entry script and its pages."""

from pathlib import Path

WEBAPP_DIR = Path(__file__).resolve().parent
APP_SCRIPT = WEBAPP_DIR / "streamlit_app.py"
SERVER_SCRIPT = WEBAPP_DIR / "server.py"  # what `streamlit run` starts: APP_SCRIPT plus the login routes
PAGES_DIR = WEBAPP_DIR / "app_pages"  # not "pages/": Streamlit treats that name as a legacy multipage folder
