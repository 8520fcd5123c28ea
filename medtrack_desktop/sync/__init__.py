"""Sync between the workstations' SQLCipher files and the clinic's PostgreSQL server
(DESIGN §5). ``server_setup``: the server's roles, grants and row-level security."""
