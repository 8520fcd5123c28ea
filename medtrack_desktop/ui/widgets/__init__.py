"""Widgets shared by several modules."""
