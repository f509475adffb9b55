"""The core never imports Qt: the command line, the tests and the benchmarks
use it without a display, and the GUI is only a face on top of it.  No module
takes part in an import cycle (the layers themselves are the contracts of
``[tool.importlinter]`` in pyproject.toml, checked by ``lint-imports``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

import bulkprofiles_gui

PACKAGE = Path(bulkprofiles_gui.__file__).parent
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "PySide2", "qtpy", "superqt", "shiboken6")
QT_FREE = [PACKAGE / "core", PACKAGE / "commands", PACKAGE / "cli.py"]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0 and node.module:
            names.add("." * node.level + node.module)
    return names


def _python_files() -> list[Path]:
    files: list[Path] = []
    for root in QT_FREE:
        files.extend([root] if root.is_file() else sorted(root.rglob("*.py")))
    return files


def test_core_sources_import_no_qt_and_no_gui() -> None:
    offenders = []
    for path in _python_files():
        for name in _imported_modules(path):
            top = name.lstrip(".").split(".")[0]
            if top in QT_MODULES or name.startswith(("bulkprofiles_gui.gui", "..gui", ".gui")):
                # cli.py may import the GUI lazily inside open_gui() only
                if path.name == "cli.py" and name in (".gui.app",):
                    continue
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_importing_the_core_and_cli_loads_no_qt_module() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        "import bulkprofiles_gui.core as core, bulkprofiles_gui.cli as cli\n"
        "for info in pkgutil.walk_packages(core.__path__, core.__name__ + '.'):\n"
        # Alembic's env.py is a script Alembic runs inside a migration, not a module.
        "    if not info.name.endswith('.migrations.env'):\n"
        "        importlib.import_module(info.name)\n"
        "cli.build_parser()\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_of_the_package_takes_part_in_an_import_cycle() -> None:
    """Every import counts, those inside functions and under TYPE_CHECKING too:
    an import moved into a function to dodge a cycle is still the cycle."""
    graph = grimp.build_graph("bulkprofiles_gui", cache_dir=None)
    closing = sorted(
        f"{importer} -> {imported}"
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )
    assert closing == []
