"""Fast starts of the command line, and that they lose nothing.

Building the parser imports no subcommand module (so neither SQLAlchemy's ORM
nor Qt nor the actions); every subcommand and nested action still has its
help and runs its own function; and an operator error raised by a module
that was imported only when its subcommand ran is still one line, exit 2.
The subprocess tests start a fresh interpreter, where nothing else has
imported those modules first.
"""

from __future__ import annotations

import argparse
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from bulkprofiles_gui import cli, commands
from bulkprofiles_gui.commands import _arguments
from bulkprofiles_gui.commands._arguments import SUBCOMMANDS
from bulkprofiles_gui.core.store import Store

#: Modules that building the parser must not load (and their submodules).
HEAVY = (
    "sqlalchemy",
    "PySide6",
    "shiboken6",
    "superqt",
    "bulkprofiles_gui.core.actions",
    "bulkprofiles_gui.core.importer",
    "bulkprofiles_gui.core.models",
    "bulkprofiles_gui.core.store",
    "bulkprofiles_gui.gui",
)
NESTED = {"db", "fields", "programs", "resources"}


def _python(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, env=env
    )


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for act in parser._actions:
        if isinstance(act, argparse._SubParsersAction):
            return dict(act.choices)
    return {}


def test_building_the_parser_loads_no_orm_qt_actions_or_command_module() -> None:
    code = (
        "import sys, json\n"
        "from bulkprofiles_gui import cli\n"
        "cli.build_parser().parse_args(['info', '--json'])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = _python("-c", code)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    heavy = [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
    assert "sqlalchemy.orm" not in loaded
    commands_loaded = [m for m in loaded if m.startswith("bulkprofiles_gui.commands.")]
    assert commands_loaded == ["bulkprofiles_gui.commands._arguments"]


def test_help_of_the_command_line_lists_every_subcommand() -> None:
    result = _python("-m", "bulkprofiles_gui", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for declared in SUBCOMMANDS:
        assert f"    {declared.name} " in result.stdout
    assert "--self-check" in result.stdout


def _help_argvs() -> list[list[str]]:
    argvs = []
    parser = cli.build_parser()
    for name, sub in _subparsers(parser).items():
        argvs.append([name, "--help"])
        argvs += [[name, action, "--help"] for action in _subparsers(sub)]
    return argvs


@pytest.mark.parametrize("argv", _help_argvs(), ids=" ".join)
def test_help_of_every_subcommand_and_action(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    out, err = capsys.readouterr()
    assert exit_info.value.code == 0
    assert err == ""
    assert out.startswith(f"usage: bulkprofiles {' '.join(argv[:-1])} ")
    assert "--db URL" in out  # every subcommand and action takes the store


def test_every_command_module_is_declared_once_and_its_function_exists() -> None:
    modules = {info.name for info in pkgutil.iter_modules(commands.__path__)}
    targets = [d.target.partition(":")[0] for d in SUBCOMMANDS]
    assert sorted(targets) == sorted(m for m in modules if not m.startswith("_"))
    assert len({d.name for d in SUBCOMMANDS}) == len(SUBCOMMANDS)
    for declared in SUBCOMMANDS:
        assert callable(cli.command_function(declared.target))


@pytest.mark.parametrize("name", sorted(NESTED))
def test_every_nested_action_has_its_function(name: str) -> None:
    declared = next(d for d in SUBCOMMANDS if d.name == name)
    module = sys.modules[cli.command_function(declared.target).__module__]
    parser = _subparsers(cli.build_parser())[name]
    assert set(module.ACTIONS) == set(_subparsers(parser))


def test_repeated_constants_match_their_modules() -> None:
    from bulkprofiles_gui.core.demo import DEFAULT_DATABASE_NAME
    from bulkprofiles_gui.core.importer import DUPLICATES, MODES

    assert tuple(MODES) == _arguments.IMPORT_MODES
    assert tuple(DUPLICATES) == _arguments.IMPORT_DUPLICATES
    assert _arguments.DEMO_DATABASE_NAME == DEFAULT_DATABASE_NAME


def test_every_operator_error_derives_from_operator_error() -> None:
    """``main`` recognises an operator error by its base class alone."""
    from bulkprofiles_gui.core.actions.base import ActionError
    from bulkprofiles_gui.core.config import ConfigError
    from bulkprofiles_gui.core.errors import OperatorError, TaskError
    from bulkprofiles_gui.core.export import ExportError
    from bulkprofiles_gui.core.importer import ImportFileError, ImportSpecError
    from bulkprofiles_gui.core.jobfile import JobFileError
    from bulkprofiles_gui.core.limits import LimitError
    from bulkprofiles_gui.core.manage import CatalogError
    from bulkprofiles_gui.core.revert import RevertError
    from bulkprofiles_gui.core.segments import SegmentError
    from bulkprofiles_gui.core.selection import RuleError
    from bulkprofiles_gui.core.store import StoreError

    errors = (
        StoreError,
        ConfigError,
        JobFileError,
        RuleError,
        ActionError,
        TaskError,
        LimitError,
        CatalogError,
        SegmentError,
        ImportFileError,
        ImportSpecError,
        ExportError,
        RevertError,
    )
    assert [e for e in errors if not issubclass(e, OperatorError)] == []


def test_an_operator_error_of_any_module_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An OperatorError raised by a command, even of a class defined outside the
    core, is one line and exit code 2."""
    from bulkprofiles_gui.core.errors import OperatorError

    class PluginError(OperatorError):
        pass

    def fails(_args: argparse.Namespace) -> int:
        raise PluginError("plugin: no such thing")

    monkeypatch.setattr(cli, "command_function", lambda _target: fails)
    assert cli.main(["info"]) == 2
    assert capsys.readouterr().err == "bulkprofiles: error: plugin: no such thing\n"


def test_building_the_parser_loads_only_the_light_errors_module_of_the_core() -> None:
    code = (
        "import sys\n"
        "from bulkprofiles_gui import cli\n"
        "cli.build_parser()\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('bulkprofiles_gui.core'))))\n"
    )
    result = _python("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "bulkprofiles_gui.core",
        "bulkprofiles_gui.core.errors",
        "bulkprofiles_gui.core.fields",
        "bulkprofiles_gui.core.limits",
    ]


def _assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("bulkprofiles: error: ")
    assert fragment in lines[0]


def test_error_of_a_lazily_imported_command_is_one_line(store: Store) -> None:
    """TaskError (core.jobs) reaches ``main`` from ``tasks``, whose module was
    imported after the parser was built: still one line, exit 2."""
    result = _python("-m", "bulkprofiles_gui", "--db", store.url, "tasks", "show", "424242")
    _assert_one_line_error(result, "no task with id 424242")


def test_action_error_of_a_lazily_imported_run_is_one_line(
    demo_store: Store, tmp_path: Path
) -> None:
    """ActionError (core.actions) from ``run``: its module registers nothing now."""
    job = {
        "database": "Demo customers",
        "action": {"type": "update_fields", "changes": [{"field": "id", "op": "clear"}]},
    }
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    result = _python("-m", "bulkprofiles_gui", "--db", demo_store.url, "run", str(path), "--yes")
    _assert_one_line_error(result, "id")


def test_self_check_of_the_installed_package_passes() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = _python("-m", "bulkprofiles_gui", "--self-check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("bulkprofiles: self-check passed in ")
    assert "store of 300 demo profiles, a job of 50 profiles in the background" in result.stdout
    assert "Traceback" not in result.stderr


def test_self_check_without_resources_fails_with_one_line(tmp_path: Path) -> None:
    """A bundle that lost resources/ is caught: one line, exit 1."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bulkprofiles_gui.gui import resources\n"
        f"resources.resources_dir = lambda: Path({str(tmp_path)!r})\n"
        "from bulkprofiles_gui.cli import main\n"
        "sys.exit(main(['--self-check']))\n"
    )
    result = _python("-c", code)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert lines == [
        "bulkprofiles: self-check failed: the style sheet resources/style.qss is missing"
    ]
