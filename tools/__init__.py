"""Maintainer tools (not shipped): mutation testing of search/."""
