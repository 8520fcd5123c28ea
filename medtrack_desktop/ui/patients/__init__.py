"""The patients module: registration, search and front-desk printing (labels)."""
