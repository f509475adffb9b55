"""The catalogue commands: ``db``, ``fields``, ``resources`` and ``programs``, on
both backends.  Each error is one line ``bulkprofiles: error: ...`` with exit
code 2 and changes nothing; listings have ``--json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.commands import _manage
from bulkprofiles_gui.core import manage
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.segments import create_segment
from bulkprofiles_gui.core.store import Store, open_store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, fragment: str) -> None:
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bulkprofiles: error: ") and fragment in lines[0]


def _databases(store: Store) -> list[str]:
    with store.begin() as conn:
        return list(
            conn.execute(select(m.ProfileDatabase.name).order_by(m.ProfileDatabase.name)).scalars()
        )


def _field_keys(store: Store, database: str) -> list[str]:
    with store.begin() as conn:
        return [f.key for f in store.fields(conn, store.database_id(conn, database))]


@pytest.fixture
def shop(store: Store) -> Store:
    """A store with the database "Shop" (3 profiles, custom field bonus) and "Other"."""
    with store.begin() as conn:
        shop_id = manage.create_database(store, conn, "Shop")
        manage.create_database(store, conn, "Other")
        bonus = manage.add_field(store, conn, shop_id, "bonus", FieldType.INTEGER)
        assert bonus.column_name
        conn.execute(
            insert(store.profiles),
            [{"database_id": shop_id, bonus.column_name: i} for i in range(3)],
        )
    return store


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the terminal question: answer "yes" and record the prompts."""
    prompts: list[str] = []

    def ask(prompt: str, refusal: str) -> bool:
        prompts.append(prompt)
        return True

    monkeypatch.setattr(_manage, "ask", ask)
    return prompts


# -- db ------------------------------------------------------------------------------------------
def test_db_create_makes_the_store_when_there_is_none(store_url: str, capsys: Any) -> None:
    code, out, err = run(capsys, "db", "create", "Shop", "--db", store_url, "--description", "web")
    assert (code, err) == (0, "")
    assert out.startswith("Created profile database 'Shop' in ")
    made = open_store(store_url)
    try:
        assert _databases(made) == ["Shop"]
    finally:
        made.close()


def test_db_create_without_a_name_creates_no_store(tmp_path: Path, capsys: Any) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'store.sqlite3'}"
    code, _out, err = run(capsys, "db", "create", "  ", "--db", url)
    assert_one_line_error(code, err, "a profile database needs a name")
    assert not (tmp_path / "new").exists()


def test_other_commands_refuse_a_missing_store(tmp_path: Path, capsys: Any) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    for argv in (["db", "list"], ["fields", "list", "--database", "X"], ["programs", "list"]):
        code, _out, err = run(capsys, *argv, "--db", url)
        assert_one_line_error(code, err, "no store at")
    assert list(tmp_path.iterdir()) == []


def test_db_create_a_taken_name(shop: Store, capsys: Any) -> None:
    code, out, err = run(capsys, "--db", shop.url, "db", "create", "Shop")
    assert_one_line_error(code, err, "a profile database named 'Shop' already exists")
    assert out == "" and _databases(shop) == ["Other", "Shop"]


def test_db_list_text_and_json(shop: Store, capsys: Any) -> None:
    code, out, _err = run(capsys, "db", "list", "--db", shop.url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["Name", "Profiles", "Fields", "Demo", "Attached", "resources"]
    assert lines[2].split()[:3] == ["Shop", "3", "14"]
    code, out, _err = run(capsys, "db", "list", "--json", "--db", shop.url)
    listed = json.loads(out)
    assert [(d["name"], d["profiles"], d["demo"]) for d in listed] == [
        ("Other", 0, False),
        ("Shop", 3, False),
    ]


def test_db_rename_and_its_refusal(shop: Store, capsys: Any) -> None:
    code, out, _err = run(capsys, "db", "rename", "Shop", "Web shop", "--db", shop.url)
    assert (code, out) == (0, "Renamed profile database 'Shop' to 'Web shop'.\n")
    code, _out, err = run(capsys, "db", "rename", "Web shop", "Other", "--db", shop.url)
    assert_one_line_error(code, err, "a profile database named 'Other' already exists")
    assert _databases(shop) == ["Other", "Web shop"]


def test_db_delete_without_yes_and_without_a_terminal_refuses(shop: Store, capsys: Any) -> None:
    code, _out, err = run(capsys, "db", "delete", "Shop", "--db", shop.url)
    assert_one_line_error(
        code, err, "deleting profile database 'Shop' (3 profile(s), 0 segment(s), 0 event(s)) "
    )
    assert "confirm it with --yes" in err
    assert _databases(shop) == ["Other", "Shop"]


def test_db_delete_asks_with_the_number_of_profiles(
    shop: Store, capsys: Any, answers: list[str]
) -> None:
    code, out, _err = run(capsys, "db", "delete", "Shop", "--db", shop.url)
    assert code == 0
    assert answers == [
        "Delete profile database 'Shop' with 3 profile(s), 0 segment(s), 0 event(s)? "
        "This cannot be undone. [y/N] "
    ]
    assert out == "Deleted profile database 'Shop': 3 profile(s), 0 segment(s), 0 event(s).\n"
    assert _databases(shop) == ["Other"]


def test_db_delete_answered_no_changes_nothing(shop: Store, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(_manage, "ask", lambda prompt, refusal: False)
    code, out, err = run(capsys, "db", "delete", "Shop", "--db", shop.url)
    assert (code, out, err) == (1, "", "Nothing was changed.\n")
    assert _databases(shop) == ["Other", "Shop"]


def test_db_delete_yes_refused_while_a_task_runs(shop: Store, capsys: Any) -> None:
    with shop.begin() as conn:
        conn.execute(
            insert(m.Task).values(
                action_type="global_unsubscribe",
                database_id=shop.database_id(conn, "Shop"),
                database_name="Shop",
                job={"database": "Shop"},
                status="running",
                runner="another-host:1",
                heartbeat_at=m.utcnow(),
            )
        )
    code, _out, err = run(capsys, "db", "delete", "Shop", "--yes", "--db", shop.url)
    assert_one_line_error(code, err, "'Shop' cannot be deleted while its task 1 is running")
    assert _databases(shop) == ["Other", "Shop"]


# -- fields ---------------------------------------------------------------------------------------
def test_fields_add_with_default_label_and_enum_options(shop: Store, capsys: Any) -> None:
    code, out, _err = run(
        capsys, "fields", "add", "--database", "Shop", "last_visit", "date", "--db", shop.url
    )
    assert (code, out) == (0, "Added field 'last_visit' (date, label 'Last visit') to 'Shop'.\n")
    code, out, _err = run(
        capsys, "fields", "add", "--database", "Shop", "level", "enum",
        "--label", "Loyalty level", "--options", "gold, silver,", "--db", shop.url,
    )  # fmt: skip
    assert code == 0 and "options gold, silver" in out
    code, out, _err = run(
        capsys, "fields", "list", "--database", "Shop", "--json", "--db", shop.url
    )
    fields = {f["key"]: f for f in json.loads(out)}
    assert fields["last_visit"] == {
        "key": "last_visit",
        "label": "Last visit",
        "type": "date",
        "system": False,
        "editable": True,
    }
    assert fields["level"]["options"] == ["gold", "silver"]
    assert fields["email"]["system"] is True


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["color", "enum"], "an enum field needs a list of options"),
        (["color", "text"], "unknown field type 'text' (types: integer"),
        (["Color", "string"], "field key 'Color' must start with a letter a-z"),
        (["bonus", "float"], "'Shop' already has a field 'bonus'"),
        (["size", "integer", "--options", "1,2"], "options are for enum fields only"),
    ],
)
def test_fields_add_refusals(shop: Store, capsys: Any, argv: list[str], fragment: str) -> None:
    before = _field_keys(shop, "Shop")
    code, out, err = run(capsys, "fields", "add", "--database", "Shop", *argv, "--db", shop.url)
    assert_one_line_error(code, err, fragment)
    assert out == "" and _field_keys(shop, "Shop") == before


def test_fields_of_an_unknown_database(shop: Store, capsys: Any) -> None:
    code, _out, err = run(capsys, "fields", "list", "--database", "Nope", "--db", shop.url)
    assert_one_line_error(
        code, err, "no profile database named 'Nope' (databases: 'Other', 'Shop')"
    )


def test_fields_list_text(shop: Store, capsys: Any) -> None:
    code, out, _err = run(capsys, "fields", "list", "--database", "Shop", "--db", shop.url)
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["bonus"] == ["bonus", "Bonus", "integer", "custom", "yes"]
    assert rows["gender"][-2:] == ["male,", "female"]


def test_fields_rename_label(shop: Store, capsys: Any) -> None:
    code, out, _err = run(
        capsys,
        "fields",
        "rename-label",
        "--database",
        "Shop",
        "bonus",
        "Bonus points",
        "--db",
        shop.url,
    )
    assert (code, out) == (0, "Field 'bonus' of 'Shop' is now labelled 'Bonus points'.\n")
    with shop.begin() as conn:
        info = manage.field_info(shop, conn, shop.database_id(conn, "Shop"), "bonus")
    assert info.label == "Bonus points"


def test_fields_remove_warns_about_the_segments_and_asks(
    shop: Store, capsys: Any, answers: list[str]
) -> None:
    with shop.begin() as conn:
        rules = {
            "combinator": "and",
            "not": False,
            "rules": [{"field": "bonus", "operator": ">", "value": 0}],
        }
        create_segment(shop, conn, shop.database_id(conn, "Shop"), "Bonus holders", rules=rules)
    code, out, err = run(
        capsys, "fields", "remove", "--database", "Shop", "bonus", "--db", shop.url
    )
    assert code == 0
    assert err == (
        "warning: field 'bonus' is used by segment(s) 'Bonus holders': "
        "they will no longer be valid\n"
    )
    assert answers == [
        "Remove field 'bonus' of 'Shop' (3 profile(s) hold a value, which will be lost)? [y/N] "
    ]
    assert out == "Removed field 'bonus' from 'Shop'.\n"
    assert "bonus" not in _field_keys(shop, "Shop")


def test_fields_remove_refusals(shop: Store, capsys: Any, answers: list[str]) -> None:
    code, _out, err = run(
        capsys, "fields", "remove", "--database", "Shop", "email", "--yes", "--db", shop.url
    )
    assert_one_line_error(code, err, "'email' is a system field of 'Shop' and cannot be removed")
    code, _out, err = run(
        capsys, "fields", "remove", "--database", "Shop", "nope", "--db", shop.url
    )
    assert_one_line_error(code, err, "'Shop' has no field 'nope'")
    assert answers == []  # refused before asking
    keys = _field_keys(shop, "Shop")
    assert "email" in keys and "bonus" in keys


def test_fields_remove_without_a_terminal_refuses(shop: Store, capsys: Any) -> None:
    code, _out, err = run(
        capsys, "fields", "remove", "--database", "Shop", "bonus", "--db", shop.url
    )
    assert_one_line_error(code, err, "removing field 'bonus' of 'Shop' (3 profile(s) hold a value")
    assert "bonus" in _field_keys(shop, "Shop")


# -- resources ------------------------------------------------------------------------------------
def test_resources_create_attach_list_channels_rename_detach(shop: Store, capsys: Any) -> None:
    url = shop.url
    code, out, _err = run(
        capsys, "resources", "create", "News", "--channels", "sms,email",
        "--attach", "Shop", "--attach", "Other", "--db", url,
    )  # fmt: skip
    assert (code, out) == (
        0,
        "Created resource 'News' (email, sms), attached to 'Shop', 'Other'.\n",
    )
    code, out, _err = run(capsys, "resources", "channels", "News", "email,push", "--db", url)
    assert out == "Resource 'News': channels added: push; removed: sms.\n"
    assert run(capsys, "resources", "detach", "News", "Other", "--db", url)[0] == 0
    assert run(capsys, "resources", "rename", "News", "Weekly", "--db", url)[0] == 0
    code, out, _err = run(capsys, "resources", "list", "--json", "--db", url)
    assert json.loads(out) == [
        {"name": "Weekly", "channels": ["email", "push"], "databases": ["Shop"]}
    ]
    code, out, _err = run(capsys, "resources", "list", "--db", url)
    assert out.splitlines()[1].split() == ["Weekly", "email,", "push", "Shop"]
    assert run(capsys, "resources", "attach", "Weekly", "Other", "--db", url)[0] == 0


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["create", "Fax", "--channels", "fax"], "unknown channel 'fax' (channels: email, sms"),
        (["create", "News", "--channels", "email"], "a resource named 'News' already exists"),
        (
            ["create", "App", "--channels", "push", "--attach", "Nope"],
            "no profile database named 'Nope'",
        ),
        (["attach", "News", "Shop"], "resource 'News' is already attached to 'Shop'"),
        (["detach", "News", "Other"], "resource 'News' is not attached to 'Other'"),
        (["channels", "Nope", "email"], "no resource named 'Nope' (resources: 'News')"),
        (["rename", "News", " "], "a resource needs a name"),
    ],
)
def test_resources_refusals(shop: Store, capsys: Any, argv: list[str], fragment: str) -> None:
    assert (
        run(
            capsys,
            "resources",
            "create",
            "News",
            "--channels",
            "email",
            "--attach",
            "Shop",
            "--db",
            shop.url,
        )[0]
        == 0
    )
    code, out, err = run(capsys, "resources", *argv, "--db", shop.url)
    assert_one_line_error(code, err, fragment)
    code, out, _err = run(capsys, "resources", "list", "--json", "--db", shop.url)
    assert json.loads(out) == [{"name": "News", "channels": ["email"], "databases": ["Shop"]}]


# -- programs -------------------------------------------------------------------------------------
def test_programs_create_load_codes_and_list(shop: Store, capsys: Any, tmp_path: Path) -> None:
    url = shop.url
    code, out, _err = run(capsys, "programs", "create", "Club", "--database", "Shop", "--db", url)
    assert code == 0 and out.startswith("Created loyalty program 'Club' for 'Shop'")
    assert run(capsys, "programs", "create", "Everyone", "--db", url)[0] == 0
    codes = tmp_path / "codes.csv"
    codes.write_text("code,note\nA1,x\nA2,y\n\nA1,z\n" + "Z" * 70 + ",long\n", encoding="utf-8")
    code, out, _err = run(capsys, "programs", "load-codes", "Club", str(codes), "--db", url)
    assert code == 0
    assert out.splitlines() == [
        "Loaded 2 new code(s) into 'Club'.",
        "  1 repeated in the file (loaded once), e.g. A1",
        "  1 longer than 64 characters (not loaded)",
        "    line 6: 70 characters (at most 64)",
        "  The first line was taken as a header and skipped.",
    ]
    code, out, _err = run(
        capsys, "programs", "load-codes", "Everyone", str(codes), "--json", "--db", url
    )
    loaded = json.loads(out)
    assert (loaded["loaded"], loaded["already_in_store"], loaded["existing_examples"]) == (
        0,
        2,
        ["A1", "A2"],
    )
    code, out, _err = run(capsys, "programs", "list", "--json", "--db", url)
    assert json.loads(out) == [
        {"name": "Club", "database": "Shop", "codes": 2, "free": 2, "attached": 0, "activated": 0},
        {
            "name": "Everyone",
            "database": None,
            "codes": 0,
            "free": 0,
            "attached": 0,
            "activated": 0,
        },
    ]
    code, out, _err = run(capsys, "programs", "list", "--db", url)
    assert out.splitlines()[2].split() == ["Everyone", "(every", "database)", "0", "0", "0", "0"]


def _code_count(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(m.PromoCode)).scalar_one())


def test_programs_refusals(shop: Store, capsys: Any, tmp_path: Path) -> None:
    url = shop.url
    assert run(capsys, "programs", "create", "Club", "--db", url)[0] == 0
    code, _out, err = run(capsys, "programs", "create", "Club", "--db", url)
    assert_one_line_error(code, err, "a loyalty program named 'Club' already exists")
    code, _out, err = run(capsys, "programs", "create", "New", "--database", "Nope", "--db", url)
    assert_one_line_error(code, err, "no profile database named 'Nope'")
    code, _out, err = run(
        capsys, "programs", "load-codes", "Club", str(tmp_path / "none.txt"), "--db", url
    )
    assert_one_line_error(code, err, "none.txt: no such file")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("OK1\nCAFÉ\n".encode("latin-1"))
    code, _out, err = run(capsys, "programs", "load-codes", "Club", str(latin), "--db", url)
    assert_one_line_error(code, err, "latin.txt is not UTF-8 text")
    code, _out, err = run(capsys, "programs", "load-codes", "Nope", str(latin), "--db", url)
    assert_one_line_error(code, err, "no loyalty program named 'Nope' (programs: 'Club')")
    assert _code_count(shop) == 0
