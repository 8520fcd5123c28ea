"""Home: the landing page after sign-in (who, where, which database; no patient data)."""
