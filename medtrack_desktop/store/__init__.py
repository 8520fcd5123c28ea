"""Storage: encrypted local engine, key management, base mixins, migrations and backup.

Nothing here imports Qt or a domain package; the domain builds on it.
"""
