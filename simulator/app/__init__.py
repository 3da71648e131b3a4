"""The browser app's glue: services (no Streamlit), UI state and shared widgets for the pages."""
