"""The migration history stays linear and named after its revisions.

The start-up schema check reads the shipped revisions from the file names (no Alembic import);
this holds that reading to Alembic's own.
"""

from __future__ import annotations

from itertools import pairwise

from alembic.script import ScriptDirectory

from medtrack_desktop.store.migrate import alembic_config, head_revision, shipped_revisions


def test_file_names_match_alembics_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [head_revision()], "the history must have exactly one head"
    oldest_first = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(oldest_first) == shipped_revisions()
    for older, newer in pairwise(oldest_first):
        assert script.get_revision(newer).down_revision == older
    for revision in oldest_first:
        path = script.get_revision(revision).path
        assert path.rsplit("/", 1)[-1].startswith(f"{revision}_")
