"""Arguments and files an operator can get wrong, found by an audit of the
command line: each was an unexpected error (exit 1) or silently taken, and is
now one line, exit 2, nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_helpers import error_lines

from bulkprofiles_gui import cli
from bulkprofiles_gui.core.config import settings_path
from bulkprofiles_gui.core.importer import ImportFileError, sniff
from bulkprofiles_gui.core.store import open_store


@pytest.fixture
def url(tmp_path: Path) -> str:
    made = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    open_store(made, create=True).close()
    return made


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["tasks", "show", "99999999999999999999999"],
            "argument ID: '99999999999999999999999' is not a task id (beyond 64 bits)",
        ),
        (["tasks", "revert", "1e3", "--yes"], "argument ID: '1e3' is not a task id"),
        (["tasks", "list", "--limit", "0"], "argument --limit: must be from 1 to"),
        (["tasks", "list", "--limit", "-1"], "argument --limit: must be from 1 to"),
        (
            ["tasks", "list", "--limit", "99999999999999999999"],
            "argument --limit: must be from 1 to",
        ),
        (["demo", "--profiles", "99999999999999999999999"], "must be from 1 to 100,000,000"),
    ],
)
def test_numbers_out_of_range_are_refused_by_the_parser(
    url: str, argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        cli.main([*argv, "--db", url])
    assert ended.value.code == 2
    assert line in capsys.readouterr().err


def test_a_settings_file_that_is_not_utf8_is_one_line_exit_2(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\xff")
    assert cli.main(["info", "--db", url]) == 2
    [line] = error_lines(capsys.readouterr().err)
    assert line.startswith(f"bulkprofiles: error: settings file {path} is not valid JSON: ")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("email,city\na@x.de,Bonn1\n", "UTF-16 stream does not start with BOM"),  # 24 bytes
        ("email,city\na@x.de,Berlin\n", "truncated data"),  # 25 bytes
    ],
)
def test_utf16_chosen_for_a_file_without_a_byte_order_mark_is_one_line(
    tmp_path: Path, text: str, why: str
) -> None:
    """An even number of bytes decoded "fine" as a whole and failed in the
    reader (an unexpected error, exit 1); an odd one failed in the check."""
    path = tmp_path / "plain.csv"
    path.write_text(text, encoding="utf-8")
    assert len(text.encode()) % 2 == (0 if "BOM" in why else 1)
    with pytest.raises(ImportFileError) as caught:
        sniff(path, encoding="utf-16")
    assert str(caught.value).startswith(f"{path}: cannot be read as utf-16: ")
    assert why in str(caught.value)


def test_a_job_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Notepad writes one; it was refused in Python's words (audit)."""
    from bulkprofiles_gui.core.jobfile import Job

    path = tmp_path / "job.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"database": "Demo customers", "limit": 7}')
    job = Job.load(path)
    assert (job.database, job.limit) == ("Demo customers", 7)
