"""The core runs without Qt: every package below ui/ imports with PySide6 made unimportable."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import medtrack_desktop

QT_FREE_PACKAGES = ("store", "domain", "sync", "demo", "config", "paths", "cli", "printing")


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(medtrack_desktop.__path__, "medtrack_desktop."):
        top = info.name.split(".")[1]
        if top in QT_FREE_PACKAGES:
            names.append(info.name)
    return names


def test_core_imports_without_qt() -> None:
    modules = _core_modules()
    assert "medtrack_desktop.store.engine" in modules
    assert "medtrack_desktop.domain.identity.accounts" in modules
    assert "medtrack_desktop.sync.round" in modules
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'PySide6' or name.startswith('PySide6.'):\n"
        "            raise ImportError('Qt is not allowed below ui/')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for name in {modules!r}:\n"
        "    __import__(name)\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr
