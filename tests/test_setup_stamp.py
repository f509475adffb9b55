"""scripts/setup.sh installs only when the installed version is missing or old.

The real script runs (bash) in a copy of the project whose ``.venv/bin/python``
is a stand-in that records each pip call and exits with ``$FAKE_PIP_RC``: a
real pip would need the network and minutes, and what is tested here is the
script's decision, not pip.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT_LIBS = (
    "libEGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libGL.so.1 libdbus-1.so.3 libglib-2.0.so.0"
)


def _executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of pyproject.toml and scripts/setup.sh with a stand-in venv."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copy(ROOT / "scripts" / "setup.sh", root / "scripts" / "setup.sh")
    _executable(
        root / ".venv" / "bin" / "python",
        '#!/usr/bin/env bash\necho "$*" >> "$FAKE_LOG"\nexit "${FAKE_PIP_RC:-0}"\n',
    )
    _executable(root / ".venv" / "bin" / "bulkprofiles", "#!/usr/bin/env bash\n")
    (root / ".venv" / "pyvenv.cfg").write_text("version = 3.11.7\n", encoding="utf-8")
    # Qt's libraries are "there": the script must not reach for apt-get here.
    lines = "".join(f"\t{lib} (libc6,x86-64) => /usr/lib/{lib}\n" for lib in QT_LIBS.split())
    _executable(tmp_path / "bin" / "ldconfig", f"#!/usr/bin/env bash\nprintf '{lines}'\n")
    return root


def _setup(project: Path, extras: str, *, pip_rc: int = 0) -> tuple[int, str, list[str]]:
    """Source setup.sh as run.sh does; (exit code, output, pip calls made)."""
    log = project / "pip.log"
    log.unlink(missing_ok=True)
    env = {
        **os.environ,
        "PATH": f"{project.parent / 'bin'}:{os.environ['PATH']}",
        "FAKE_LOG": str(log),
        "FAKE_PIP_RC": str(pip_rc),
    }
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail; source scripts/setup.sh {extras}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return result.returncode, result.stdout + result.stderr, calls


def test_second_setup_skips_pip(project: Path) -> None:
    code, out, calls = _setup(project, "test")
    assert code == 0, out
    assert calls == ["-m pip install -q --disable-pip-version-check -e .[test,postgres]"]
    assert "== installing bulkprofiles[test]" in out
    code, out, calls = _setup(project, "test")
    assert (code, calls) == (0, [])
    assert "installing" not in out


def test_any_current_install_serves_the_app_but_not_other_extras(project: Path) -> None:
    assert _setup(project, "test")[0] == 0
    assert _setup(project, "app")[2] == []  # test's install holds the app's dependencies
    code, _out, calls = _setup(project, "build")
    assert code == 0
    assert calls == ["-m pip install -q --disable-pip-version-check -e .[build,postgres]"]
    assert _setup(project, "build")[2] == []
    assert _setup(project, "test")[2] == []  # its stamp is still current


def test_a_changed_pyproject_installs_again(project: Path) -> None:
    assert _setup(project, "app")[0] == 0
    with (project / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write("\n# a new dependency would go here\n")
    code, _out, calls = _setup(project, "app")
    assert code == 0
    assert calls == ["-m pip install -q --disable-pip-version-check -e .[postgres]"]


def test_a_failed_install_leaves_no_stamp(project: Path) -> None:
    assert _setup(project, "test")[0] == 0
    (project / "pyproject.toml").write_text("# changed\n", encoding="utf-8")
    code, out, calls = _setup(project, "test", pip_rc=1)
    assert code == 1
    assert len(calls) == 1
    assert "installing bulkprofiles[test] failed" in out
    assert not (project / ".venv" / ".bulkprofiles-installed-test").exists()
    code, _out, calls = _setup(project, "test")  # the next start tries again
    assert (code, len(calls)) == (0, 1)
    assert (project / ".venv" / ".bulkprofiles-installed-test").exists()
