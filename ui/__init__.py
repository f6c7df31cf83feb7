"""Streamlit helpers shared by the pages: warehouse access, filters, charts. Pages stay thin."""
