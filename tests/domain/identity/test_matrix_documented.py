"""The README's role table and the admin screen's rows say what resources/seed/permissions.toml
grants, role by role."""

from __future__ import annotations

import re
from pathlib import Path

from medtrack_desktop.domain.identity.permissions import role_matrix, role_matrix_rows

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_role_table_matches_the_seed() -> None:
    section = README.read_text(encoding="utf-8").split("### Roles and permissions", 1)[1]
    documented = {}
    for line in section.split("\n\n", 2)[2].splitlines():
        match = re.match(r"\| `(\w+)` \| [^|]+ \| (.+) \|$", line)
        if match:
            documented[match[1]] = frozenset(re.findall(r"`([\w.]+)`", match[2]))
    assert documented == {role: granted for role, (_d, granted) in role_matrix().items()}


def test_role_matrix_rows_follow_the_seed() -> None:
    rows = {row.role: row for row in role_matrix_rows()}
    assert list(rows) == ["physician", "nurse", "medical_assistant", "front_desk", "biller",
                          "admin", "patient"]
    assert rows["admin"].permissions == ("audit.read", "clinic.admin", "privacy.admin",
                                         "sync.resolve", "user.admin")
    assert "chart.sign" in rows["physician"].permissions
    assert "chart.sign" not in rows["nurse"].permissions
