"""Qt item models: thin cached adapters over service results (lists of frozen dataclasses)."""
