"""An import checked against the store: which column fills which field, how.

:func:`plan_import` reads the file's header (and, for "create fields", the
first rows to infer types), maps the columns, and refuses with one line a
header that is broken (empty or repeated column names), a mapping to an
unknown or read-only field, two columns for one field, no mapped column, or a
match key that is not among the mapped columns.  Nothing is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from ..fields import FieldType
from ..limits import short
from ..store import COLUMN_TYPES, FieldInfo, Store
from .converters import Converter, converter_for
from .csvfile import CsvFormat, CsvReader, ImportFileError, sniff
from .mapping import (
    INFER_ROWS,
    NOT_IMPORTABLE,
    auto_mapping,
    field_for_column,
    infer_column_type,
    key_for_column,
)
from .spec import ImportSpec, ImportSpecError

#: The match key that can only update (ids are given by the store).
ID_MATCH = "id"


@dataclass(frozen=True)
class ColumnPlan:
    """A mapped column: its place in the row, its field, its converter."""

    index: int
    name: str
    field: FieldInfo
    convert: Converter
    #: True for a field that "create fields" makes (not yet in the store).
    new: bool = False

    @property
    def is_list(self) -> bool:
        return self.field.type.is_list


@dataclass
class ImportPlan:
    spec: ImportSpec
    fmt: CsvFormat
    database_id: int
    header: list[str]
    columns: list[ColumnPlan]
    match: ColumnPlan
    skipped_columns: list[str] = field(default_factory=list)

    @property
    def scalar_columns(self) -> list[ColumnPlan]:
        return [c for c in self.columns if not c.is_list]

    @property
    def list_columns(self) -> list[ColumnPlan]:
        return [c for c in self.columns if c.is_list]

    @property
    def new_fields(self) -> list[ColumnPlan]:
        return [c for c in self.columns if c.new]


def check_header(path: Path, header: list[str]) -> None:
    """ImportFileError for a header with an empty or a repeated column name
    (public: the wizard checks a file before any mapping)."""
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            raise ImportFileError(f"{path}: column {position} of the header has no name")
        if name in seen:
            raise ImportFileError(
                f"{path}: column name {short(name)!r} appears twice in the header "
                f"(columns {seen[name]} and {position})"
            )
        seen[name] = position


def _column_length(store: Store, info: FieldInfo) -> int | None:
    if info.column_name is None or info.column_name not in store.profiles.c:
        column_type = COLUMN_TYPES.get(info.type)
        return getattr(column_type, "length", None)
    return getattr(store.profiles.c[info.column_name].type, "length", None)


def _sample_columns(reader: CsvReader, rows: int) -> list[list[str]]:
    columns: list[list[str]] = [[] for _ in reader.header]
    for record in reader.records():
        if record.index >= rows:
            break
        for i, cell in enumerate(record.cells[: len(columns)]):
            columns[i].append(cell)
    return columns


def _virtual_field(database_id: int, key: str, label: str, ftype: FieldType) -> FieldInfo:
    """A field "create fields" will make (no id or column yet)."""
    return FieldInfo(-1, database_id, key, label, ftype, None, False, True, ())


def _new_field_types(
    spec: ImportSpec, reader: CsvReader, mapping: dict[str, str | None]
) -> dict[str, str]:
    """column -> inferred type for the unmapped columns (spec.new_fields wins).

    A column the operator's mapping skips on purpose (``COLUMN=``) stays
    skipped: only columns nothing maps to become new fields."""
    if spec.new_fields:
        return dict(spec.new_fields)
    if not spec.create_fields:
        return {}
    skipped = {c for c, key in (spec.mapping or {}).items() if key is None}
    unmapped = [c for c in reader.header if mapping.get(c) is None and c not in skipped]
    if not unmapped:
        return {}
    samples = _sample_columns(reader, INFER_ROWS)
    return {c: infer_column_type(c, samples[reader.header.index(c)]).value for c in unmapped}


def plan_import(store: Store, conn: Connection, spec: ImportSpec) -> ImportPlan:
    """Check ``spec`` against the file and the store; ImportFileError otherwise."""
    spec.check()
    path = Path(spec.file)
    fmt = sniff(path, encoding=spec.encoding, delimiter=spec.delimiter)
    database_id = store.database_id(conn, spec.database)
    fields = store.fields(conn, database_id)
    by_key = {f.key: f for f in fields}
    with CsvReader(path, fmt) as reader:
        header = reader.header
        check_header(path, header)
        mapping = _resolve_mapping(path, spec, header, fields)
        new_types = _new_field_types(spec, reader, mapping)
    columns: list[ColumnPlan] = []
    skipped: list[str] = []
    taken_keys = set(by_key)
    mapped_from = {key: column for column, key in mapping.items() if key is not None}
    for index, name in enumerate(header):
        key = mapping.get(name)
        if key is None and name in new_types:
            _refuse_a_second_field_for(path, name, mapped_from, by_key)
            info = _new_field(path, database_id, name, new_types[name], taken_keys)
            taken_keys.add(info.key)
            columns.append(ColumnPlan(index, name, info, _convert(store, info), new=True))
            continue
        if key is None:
            skipped.append(name)
            continue
        info = by_key[key]
        columns.append(ColumnPlan(index, name, info, _convert(store, info)))
    if not columns:
        raise ImportFileError(
            f"{path}: no column maps to a field of {spec.database!r} "
            f"(columns: {short(', '.join(header), 120)})"
        )
    match = _match_column(path, spec, columns, by_key)
    return ImportPlan(spec, fmt, database_id, header, columns, match, skipped)


def _convert(store: Store, info: FieldInfo) -> Converter:
    return converter_for(info.type, info.options, _column_length(store, info))


def _refuse_a_second_field_for(
    path: Path, column: str, mapped_from: dict[str, str], by_key: dict[str, FieldInfo]
) -> None:
    """A column whose field another column already fills (``City`` and ``city``:
    the first maps to field city) would silently become a new field city_2."""
    key = key_for_column(column)
    if key in by_key and key in mapped_from:
        raise ImportSpecError(
            f"{path}: column {short(column)!r} would become a new field '{key}_2' beside "
            f"field {key!r}, which column {short(mapped_from[key])!r} fills; map it to a "
            f"field or skip it (--map {short(column)}=)"
        )


def _new_field(
    path: Path, database_id: int, column: str, type_name: str, taken: set[str]
) -> FieldInfo:
    try:
        ftype = FieldType(type_name)
    except ValueError:
        raise ImportSpecError(f"new field for column {short(column)!r}: unknown type") from None
    if ftype is FieldType.ENUM:
        raise ImportSpecError(
            f"new field for column {short(column)!r}: an enum field needs options; "
            "create it first (bulkprofiles fields add)"
        )
    key = key_for_column(column)
    base, n = key, 2
    while key in taken:
        key = f"{base[:60]}_{n}"
        n += 1
    return _virtual_field(database_id, key, column, ftype)


def _resolve_mapping(
    path: Path, spec: ImportSpec, header: list[str], fields: list[FieldInfo]
) -> dict[str, str | None]:
    """The automatic mapping, overridden by the operator's choices (checked)."""
    mapping = auto_mapping(header, fields)
    if spec.mapping is None:
        return mapping
    keys = {f.key for f in fields}
    columns = set(header)
    automatic = {key: column for column, key in mapping.items() if key is not None}
    for column, key in spec.mapping.items():
        if column not in columns:
            raise ImportSpecError(
                f"{path}: the mapping names column {short(column)!r}, which the header lacks"
            )
        if key is not None and key not in keys:
            raise ImportSpecError(
                f"column {short(column)!r}: the database has no field {short(str(key))!r}"
            )
        if key in NOT_IMPORTABLE:
            raise ImportSpecError(f"column {short(column)!r}: field {key!r} is not importable")
        mapping[column] = key
        other = automatic.get(key) if key is not None else None
        if other is not None and other != column and other not in spec.mapping:
            mapping[other] = None  # the operator's choice wins over the automatic one
    used: dict[str, str] = {}
    for column, key in mapping.items():
        if key is None:
            continue
        if key in used:
            raise ImportSpecError(
                f"columns {short(used[key])!r} and {short(column)!r} both map to field {key!r}; "
                "skip one of them"
            )
        used[key] = column
    return mapping


def _match_column(
    path: Path, spec: ImportSpec, columns: list[ColumnPlan], by_key: dict[str, FieldInfo]
) -> ColumnPlan:
    wanted = field_for_column(spec.match, list(by_key.values()))
    if wanted is None:
        raise ImportSpecError(f"--match {short(spec.match)!r}: the database has no such field")
    if wanted.type is FieldType.TAGS or wanted.type is FieldType.BOOLEAN:
        raise ImportSpecError(
            f"--match {wanted.key!r}: a {wanted.type.value} field cannot match profiles"
        )
    found = next((c for c in columns if c.field.key == wanted.key), None)
    if found is None:
        raise ImportSpecError(
            f"{path}: no column maps to the match field {wanted.key!r}; "
            "map one or choose another --match"
        )
    if wanted.key == ID_MATCH and spec.mode != "update":
        raise ImportSpecError(
            "--match id: profile ids are given by the store, so matching by id can only "
            "update existing profiles (--mode update)"
        )
    return found


def file_stamp(path: str | Path) -> tuple[int, int]:
    """(size, modification time in ns) of the file: a resume checks it is unchanged."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def describe_plan(plan: ImportPlan) -> list[str]:
    """Plain lines about the mapping, for the command line and the wizard."""
    lines = []
    for c in plan.columns:
        extra = f" (new {c.field.type.value} field)" if c.new else ""
        lines.append(f"{c.name} -> {c.field.key}{extra}")
    for name in plan.skipped_columns:
        lines.append(f"{name} -> (skipped: no field)")
    return lines


def spec_with_plan(plan: ImportPlan) -> dict[str, Any]:
    """The spec as prepared: the whole mapping, encoding, delimiter, new fields, file stamp."""
    spec = plan.spec
    size, mtime = file_stamp(spec.file)
    data = spec.to_dict()
    mapped = {c.name: c.field.key for c in plan.columns if not c.new}
    rejects = spec.rejects
    data.update(
        file=str(Path(spec.file).resolve()),
        rejects=str(Path(rejects).resolve()) if rejects and rejects != "-" else rejects,
        encoding=plan.fmt.encoding,
        delimiter=plan.fmt.delimiter,
        mapping={name: mapped.get(name) for name in plan.header},
        new_fields={c.name: c.field.type.value for c in plan.new_fields},
        file_size=size,
        file_mtime_ns=mtime,
    )
    return data
