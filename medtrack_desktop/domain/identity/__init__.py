"""Clinics, workstations, users and roles; authentication."""
