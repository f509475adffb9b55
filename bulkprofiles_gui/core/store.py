"""Opening a store (any SQLAlchemy URL) and the schema-level operations on it.

``open_store(url)`` returns a :class:`Store`: the engine, and ``profiles``, the
``profiles`` table *of this store*, i.e. with the custom-field columns that its
``fields`` rows name.  Everything that builds SQL over profiles takes its
columns from ``store.profiles`` (or from :meth:`Store.field_column`), so a
column name never comes from user text.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeEngine

from . import models as m
from .errors import OperatorError
from .fields import FIELD_KEY_RE, SYSTEM_FIELDS, FieldType
from .limits import quote


class StoreError(OperatorError):
    """The store cannot be used; the message is one line for the operator."""


#: SQL type of a custom field's column, by field type.
COLUMN_TYPES: dict[FieldType, type[TypeEngine[Any]] | TypeEngine[Any]] = {
    FieldType.INTEGER: BigInteger,
    FieldType.FLOAT: Float,
    FieldType.STRING: String(255),
    FieldType.DATE: Date,
    FieldType.DATETIME: DateTime,
    FieldType.BOOLEAN: Boolean,
    FieldType.ENUM: String(255),
    FieldType.IP: String(64),
    FieldType.EMAIL: String(255),
}


@dataclass(frozen=True)
class FieldInfo:
    """A field of a profile database as the rest of the core uses it."""

    id: int
    database_id: int
    key: str
    label: str
    type: FieldType
    column_name: str | None
    is_system: bool
    editable: bool
    options: tuple[str, ...]


def redact_url(url: str) -> str:
    """The URL with its password hidden, for messages and the window title
    (in a malformed URL too: whatever stands between ``user:`` and ``@``)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        scheme, sep, rest = url.rpartition("://")
        return f"{scheme}{sep}" + re.sub(r"^([^@/]*?:)[^@/]*@", r"\1***@", rest)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-200000")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


#: Tables whose rows make up the catalogue a selection is compiled against
#: (fields, databases, resources and their channels, loyalty programs).
CATALOGUE_TABLES = frozenset(
    {
        "fields",
        "profile_databases",
        "resources",
        "resource_channels",
        "resource_databases",
        "loyalty_programs",
    }
)
#: ``store_meta`` key of the catalogue's version: a new random token with
#: every change of :data:`CATALOGUE_TABLES`, in the changing transaction.
CATALOGUE_VERSION = "catalogue_version"
_BUMP_VERSION = text(
    "INSERT INTO store_meta (key, value) VALUES (:key, :token) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


class Store:
    """An open store: engine plus this store's ``profiles`` table."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.session_factory = sessionmaker(engine, expire_on_commit=False)
        self.profiles: Table = self._profiles_table([])
        #: What :func:`open_store` did to the schema of an older store, else None.
        self.upgrade: SchemaUpgrade | None = None
        self._catalogue: dict[Any, Any] = {}
        #: The catalogue version ``_catalogue`` was read at.
        self._catalogue_version: str | None = None
        self._catalogue_lock = threading.Lock()
        event.listen(self.engine, "after_execute", _bump_catalogue_version)

    # -- the catalogue cache ------------------------------------------------
    def forget_catalogue(self) -> None:
        """Drop what :meth:`cached` holds (the next use reads the store again)."""
        with self._catalogue_lock:
            self._catalogue.clear()
            self._catalogue_version = None

    def cached(self, conn: Connection, key: Any, load: Callable[[], Any]) -> Any:
        """``load()``'s result, read once per store and kept while the catalogue
        stays as it was: any change of :data:`CATALOGUE_TABLES` made through a
        store (this process or another: a field added, renamed or removed, an
        import creating fields, a resource or program changed) writes a new
        :data:`CATALOGUE_VERSION`, and each use reads that one short row
        instead of the whole catalogue.  The value must be immutable: every
        caller shares it."""
        version = conn.execute(
            select(m.StoreMeta.value).where(m.StoreMeta.key == CATALOGUE_VERSION)
        ).scalar()
        with self._catalogue_lock:
            if self._catalogue_version != version:
                self._catalogue.clear()
                self._catalogue_version = version
            if key in self._catalogue:
                return self._catalogue[key]
        value = load()
        with self._catalogue_lock:
            if self._catalogue_version == version:
                self._catalogue[key] = value
        return value

    # -- basics ---------------------------------------------------------
    @property
    def upgrade_notice(self) -> str | None:
        """One line for the command line when ``open_store`` upgraded the schema."""
        return self.upgrade.notice if self.upgrade else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        return redact_url(self.url)

    def session(self) -> Session:
        return self.session_factory()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load.

        Without them SQLite walks a 1,000,000-row table through an index where
        a plain scan is faster, and PostgreSQL guesses row counts of fresh
        tables.  ``analysis_limit`` keeps SQLite's pass to a sample (well under
        a second at 1,000,000 profiles)."""
        with self.engine.begin() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")

    # -- profiles table with custom columns ------------------------------
    def _profiles_table(self, custom: list[tuple[str, FieldType]]) -> Table:
        metadata = MetaData()
        base = m.Profile.__table__
        assert isinstance(base, Table)
        table = base.to_metadata(metadata)
        for column_name, ftype in custom:
            table.append_column(Column(column_name, COLUMN_TYPES[ftype], nullable=True))
        return table

    def refresh_schema(self) -> None:
        """Rebuild ``self.profiles`` from the custom fields the store holds (and
        forget the cached catalogue)."""
        self.forget_catalogue()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(m.Field.column_name, m.Field.type)
                .where(m.Field.is_system.is_(False), m.Field.column_name.is_not(None))
                .order_by(m.Field.id)
            ).all()
        self.profiles = self._profiles_table([(str(c), FieldType(t)) for c, t in rows])

    # -- databases and fields ---------------------------------------------
    def create_database(
        self, conn: Connection, name: str, *, is_demo: bool = False, description: str = ""
    ) -> int:
        """Create a profile database with the system fields; returns its id."""
        name = name.strip()
        if not name:
            raise StoreError("a profile database needs a name")
        exists = conn.execute(
            select(m.ProfileDatabase.id).where(m.ProfileDatabase.name == name)
        ).first()
        if exists:
            raise StoreError(f"a profile database named {quote(name)} already exists")
        db_id = conn.execute(
            insert(m.ProfileDatabase)
            .values(name=name, is_demo=is_demo, description=description, created_at=m.utcnow())
            .returning(m.ProfileDatabase.id)
        ).scalar_one()
        conn.execute(
            insert(m.Field),
            [
                {
                    "database_id": db_id,
                    "key": f.key,
                    "label": f.label,
                    "type": f.type.value,
                    "column_name": f.column,
                    "is_system": True,
                    "editable": f.editable,
                    "options": list(f.options),
                    "position": pos,
                }
                for pos, f in enumerate(SYSTEM_FIELDS)
            ],
        )
        return int(db_id)

    def add_custom_field(
        self,
        conn: Connection,
        database_id: int,
        key: str,
        label: str,
        ftype: FieldType,
        options: tuple[str, ...] = (),
    ) -> int:
        """Add a custom field (and its column, for scalar types); returns its id."""
        if not FIELD_KEY_RE.match(key):
            raise StoreError(
                f"field key {quote(key)} must start with a letter and hold only a-z, 0-9 and _"
            )
        taken = conn.execute(
            select(m.Field.id).where(m.Field.database_id == database_id, m.Field.key == key)
        ).first()
        if taken:
            raise StoreError(f"the database already has a field {quote(key)}")
        if ftype is FieldType.ENUM and not options:
            raise StoreError(f"enum field {quote(key)} needs a list of options")
        position = conn.execute(
            select(func.coalesce(func.max(m.Field.position), 0)).where(
                m.Field.database_id == database_id
            )
        ).scalar_one()
        field_id = int(
            conn.execute(
                insert(m.Field)
                .values(
                    database_id=database_id,
                    key=key,
                    label=label,
                    type=ftype.value,
                    column_name=None,
                    is_system=False,
                    editable=True,
                    options=list(options),
                    position=position + 1,
                )
                .returning(m.Field.id)
            ).scalar_one()
        )
        if not ftype.is_list:
            column_name = f"cf_{field_id}"
            column = Column(column_name, COLUMN_TYPES[ftype], nullable=True)
            ddl_type = column.type.compile(dialect=conn.dialect)
            quoted = conn.dialect.identifier_preparer.quote(column_name)
            conn.execute(text(f"ALTER TABLE profiles ADD COLUMN {quoted} {ddl_type}"))
            conn.execute(
                update(m.Field).where(m.Field.id == field_id).values(column_name=column_name)
            )
            self.profiles.append_column(column)
        return field_id

    def database_id(self, conn: Connection, name: str) -> int:
        """The id of the database named ``name``; StoreError if there is none."""
        found = conn.execute(
            select(m.ProfileDatabase.id).where(m.ProfileDatabase.name == name)
        ).scalar_one_or_none()
        if found is None:
            names = (
                conn.execute(select(m.ProfileDatabase.name).order_by(m.ProfileDatabase.name))
                .scalars()
                .all()
            )
            known = ", ".join(repr(n) for n in names) or "none"
            raise StoreError(f"no profile database named {quote(name)} (databases: {known})")
        return int(found)

    def fields(self, conn: Connection, database_id: int) -> list[FieldInfo]:
        """The fields of a database in display order (a new list of the cached
        catalogue's, see :meth:`cached`)."""
        found = self.cached(
            conn, ("fields", database_id), lambda: self._load_fields(conn, database_id)
        )
        return list(found)

    def _load_fields(self, conn: Connection, database_id: int) -> tuple[FieldInfo, ...]:
        table = m.Field.__table__
        rows = conn.execute(
            select(table).where(table.c.database_id == database_id).order_by(table.c.position)
        ).all()
        return tuple(
            FieldInfo(
                id=r.id,
                database_id=r.database_id,
                key=r.key,
                label=r.label,
                type=FieldType(r.type),
                column_name=r.column_name,
                is_system=r.is_system,
                editable=r.editable,
                options=tuple(r.options or ()),
            )
            for r in rows
        )

    def field_column(self, info: FieldInfo) -> Column[Any]:
        """The ``profiles`` column of a scalar field (from the schema, never user text)."""
        if info.column_name is None:
            raise StoreError(f"field {info.key!r} is a list and has no profiles column")
        return self.profiles.c[info.column_name]


def _bump_catalogue_version(conn: Connection, statement: Any, *_args: Any) -> None:
    """After an INSERT, UPDATE or DELETE of a catalogue table: a new catalogue
    version in the same transaction (a rollback takes both back)."""
    if isinstance(statement, UpdateBase):
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) in CATALOGUE_TABLES:
            conn.execute(_BUMP_VERSION, {"key": CATALOGUE_VERSION, "token": uuid.uuid4().hex})


def _is_sqlite_file_of_another_program(path: Path) -> str | None:
    """Why an existing file cannot be our store, or None if it may be."""
    if path.is_dir():
        return f"{path} is a folder, not a store file"
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        with path.open("rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror or exc}"
    if header != b"SQLite format 3\x00":
        return f"{path} is not a bulkprofiles store (not an SQLite file)"
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            if not tables:
                return None
            if "store_meta" not in tables:
                return f"{path} is an SQLite file of another program, not a bulkprofiles store"
            marker = con.execute("SELECT value FROM store_meta WHERE key='marker'").fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        return f"{path} cannot be read as a store: {exc}"
    if not marker or marker[0] != m.STORE_MARKER:
        return f"{path} is an SQLite file of another program, not a bulkprofiles store"
    return None


_URL_HINT = "expected e.g. sqlite:///path/to/store.sqlite3 or postgresql+psycopg://user@host/db"


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StoreError(f"malformed store URL {redact_url(url)!r} ({_URL_HINT})") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"unsupported store URL {redact_url(url)!r}: {_URL_HINT}")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if backend == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_on_connect)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
            event.listen(engine, "connect", _postgres_on_connect)
    except NoSuchModuleError:
        raise StoreError(f"unsupported store URL {redact_url(url)!r}: {_URL_HINT}") from None
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"the driver for {redact_url(url)!r} is not installed ({exc.name}); "
            "install bulkprofiles[postgres]"
        ) from None
    return engine


#: Run on every new PostgreSQL connection of a store: no JIT compilation,
#: unless it was chosen for this client, role or database.  The tool's
#: statements are counts the wizard repeats on every edit and a job's batches
#: of a few thousand rows, and at 1,000,000 profiles the planner JIT-compiled
#: them anyway (50-110 ms per statement and per parallel worker):
#: promo_codes' job took 6.3 s with it and 4.3 s without, the same change by
#: hand 1.7-1.9 s (docs/scaling.md).  Only a setting of the server's defaults
#: or configuration files is overridden; one the operator gave (``PGOPTIONS``,
#: ``options`` of the URL or a service file, ``ALTER ROLE`` / ``ALTER
#: DATABASE ... SET jit``) has another ``source`` and stays.
_JIT_OFF_UNLESS_CHOSEN = (
    "SELECT set_config('jit', 'off', false) FROM pg_settings"
    " WHERE name = 'jit' AND source IN ('default', 'configuration file')"
)


def _postgres_on_connect(dbapi_conn: Any, _record: Any) -> None:
    with dbapi_conn.cursor() as cur:
        cur.execute(_JIT_OFF_UNLESS_CHOSEN)
    dbapi_conn.commit()  # a session setting made in a transaction ends with a rollback


def open_store(url: str, *, create: bool = False) -> Store:
    """Open (and with ``create``, initialise) the store at ``url``.

    Raises :class:`StoreError` with one readable line for a malformed or
    unreachable URL, a file that is not one of our stores, a store made by a
    newer bulkprofiles, or (without ``create``) a store that does not exist
    yet.  Nothing is written then.  A store of an older schema is upgraded
    first (see :func:`_upgrade`) and ``Store.upgrade`` says so.
    """
    engine = make_engine(url)
    sqlite_path = _check_sqlite_file(engine, create=create)
    store = Store(engine, url)
    try:
        with engine.begin() as conn:
            found = _open_schema(conn, redact_url(url), create=create)
        if found is not None and found.revision != m.SCHEMA_REVISION:
            store.upgrade = _upgrade(store, found, sqlite_path)
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot reach the store {redact_url(url)}: {_first_line(exc)}") from None
    except DBAPIError as exc:
        engine.dispose()
        raise StoreError(f"store {redact_url(url)} failed: {_first_line(exc)}") from None
    except StoreError:
        engine.dispose()
        raise
    store.refresh_schema()
    return store


def _check_sqlite_file(engine: Engine, *, create: bool) -> Path | None:
    """The path of an SQLite store file (None for other stores), after refusing
    a file that is not ours, or a missing/empty one without ``create``."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    problem = _is_sqlite_file_of_another_program(path)
    if problem:
        raise StoreError(problem)
    if not path.exists():
        if not create:
            raise StoreError(f"no store at {path} (run 'bulkprofiles demo' to make one)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for {path}: {exc}") from None
        _create_owner_only(path)
    elif not create and path.stat().st_size == 0:
        # Connecting would write a header into it (WAL mode): refuse untouched.
        raise StoreError(
            f"{path} is an empty file, not a store (run 'bulkprofiles demo --db URL' to make one)"
        )
    return path


def _create_owner_only(path: Path) -> None:
    """An empty file readable by its owner only, for SQLite to fill: the store
    holds customer data (its WAL and shared-memory files get the same mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot create the store {path}: {exc.strerror or exc}") from None


# -- schema version and upgrades -------------------------------------------------


@dataclass(frozen=True)
class SchemaUpgrade:
    """How :func:`open_store` upgraded an older store."""

    from_version: int
    to_version: int
    #: The copy of the SQLite file made first: None on PostgreSQL, and on
    #: SQLite when no pending revision changed more than ``schema_version``.
    backup: Path | None

    @property
    def notice(self) -> str:
        """One line for the command line, with the copy's full path (if one
        was made; nothing is said of a copy otherwise, as on PostgreSQL)."""
        saved = f"; backup of the old store: {self.backup}" if self.backup else ""
        return (
            f"upgraded the store from schema version {self.from_version} "
            f"to {self.to_version}{saved}"
        )

    @property
    def brief(self) -> str:
        """For the window's status bar: the copy's name only, if any (it sits
        next to the store, whose path the window shows), so that it fits."""
        saved = f"; backup: {self.backup.name}" if self.backup else ""
        return f"Store upgraded to schema {self.to_version}{saved}"


@dataclass(frozen=True)
class _Schema:
    """The schema a store says it has."""

    #: Its ``alembic_version``; None for a store made before Alembic.
    revision: str | None
    #: Its ``store_meta.schema_version`` (0 if unreadable).
    version: int

    def describe(self) -> str:
        revision = self.revision or "none, made before migrations"
        return f"schema version {self.version} (revision {revision})"


def _open_schema(conn: Connection, display_url: str, *, create: bool) -> _Schema | None:
    """The schema of an existing store, or None after creating a new one."""
    tables = set(inspect(conn).get_table_names())
    state = _store_state(conn, tables)
    if state == "foreign":
        raise StoreError(f"{display_url} holds tables of another program, not a bulkprofiles store")
    if state == "ours":
        return _read_schema(conn, tables)
    if not create:
        raise StoreError(
            f"{display_url} is not initialised as a store "
            "(run 'bulkprofiles demo --db URL' to make one)"
        )
    _create_schema(conn)
    return None


def _create_schema(conn: Connection) -> None:
    """A new store: today's schema from ``models``, stamped at its revision."""
    from . import migrations  # Alembic: only when a store is made or upgraded

    m.Base.metadata.create_all(conn)
    conn.execute(
        insert(m.StoreMeta),
        [
            {"key": "marker", "value": m.STORE_MARKER},
            {"key": "schema_version", "value": str(m.SCHEMA_VERSION)},
        ],
    )
    migrations.stamp(conn, m.SCHEMA_REVISION)


def _read_schema(conn: Connection, tables: set[str]) -> _Schema:
    """The cheap check on every open: two small reads."""
    version = conn.execute(
        select(m.StoreMeta.value).where(m.StoreMeta.key == "schema_version")
    ).scalar_one_or_none()
    revisions: list[str] = []
    if "alembic_version" in tables:
        revisions = list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return _Schema(
        revision="+".join(sorted(revisions)) or None,
        version=int(version) if version and version.isdigit() else 0,
    )


#: Key of the PostgreSQL advisory lock that one upgrade at a time holds.
_UPGRADE_LOCK = 0x62756C6B  # "bulk"


def _upgrade(store: Store, found: _Schema, sqlite_path: Path | None) -> SchemaUpgrade | None:
    """Bring an older store to ``models.SCHEMA_REVISION``; what was done, or
    None if another process did it meanwhile.

    One transaction for all of it (a failure changes nothing), holding the
    write lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock)
    so two programs opening the store at once upgrade it once.  An SQLite
    file is first copied next to itself with the backup API (the copy has
    what the WAL holds too), unless every pending revision changes nothing
    there but ``schema_version`` (``migrations.changes_sqlite``): a copy of a
    large store for a version number only fills the disk.  A store made
    before Alembic is stamped with the baseline revision first.
    """
    from . import migrations  # Alembic: only when a store is made or upgraded

    _refuse_newer(store, found, migrations.is_known)
    engine = _sqlite_upgrade_engine(store.url) if store.dialect == "sqlite" else store.engine
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
            found = _read_schema(conn, set(inspect(conn).get_table_names()))
            if found.revision == m.SCHEMA_REVISION:
                return None
            _refuse_newer(store, found, migrations.is_known)
            worth_a_copy = migrations.changes_sqlite(found.revision, m.SCHEMA_REVISION)
            backup = _backup_sqlite(sqlite_path) if sqlite_path and worth_a_copy else None
            try:
                if found.revision is None:
                    migrations.stamp(conn, migrations.BASELINE)
                migrations.upgrade(conn, m.SCHEMA_REVISION)
            except DBAPIError as exc:
                raise StoreError(
                    f"upgrading {store.display_url} from {found.describe()} failed, "
                    f"nothing was changed: {_first_line(exc)}"
                ) from None
    finally:
        if engine is not store.engine:
            engine.dispose()
    return SchemaUpgrade(found.version, m.SCHEMA_VERSION, backup)


def _refuse_newer(store: Store, found: _Schema, is_known: Callable[[str], bool]) -> None:
    """StoreError if the store's schema is one this program does not know."""
    newer = found.version > m.SCHEMA_VERSION or (
        found.revision is not None and not is_known(found.revision)
    )
    if newer:
        raise StoreError(
            f"{store.display_url} has {found.describe()}, made by a newer bulkprofiles; "
            f"this one knows up to schema version {m.SCHEMA_VERSION} "
            f"(revision {m.SCHEMA_REVISION}): open it with a newer bulkprofiles"
        )


def _sqlite_upgrade_engine(url: str) -> Engine:
    """An engine whose transactions are real SQLite transactions, DDL included,
    begun with the write lock (pysqlite otherwise runs DDL outside of one)."""
    engine = make_engine(url)

    def no_implicit_transactions(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    def begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "connect", no_implicit_transactions)
    event.listen(engine, "begin", begin_immediate)
    return engine


def _backup_sqlite(path: Path) -> Path:
    """Copy the store file to ``<name>.before-<revision>.bak`` (or ``.2.bak``,
    ... if taken) with SQLite's backup API; StoreError if it cannot."""
    backup = path.with_name(f"{path.name}.before-{m.SCHEMA_REVISION}.bak")
    number = 1
    while backup.exists():
        number += 1
        backup = path.with_name(f"{path.name}.before-{m.SCHEMA_REVISION}.{number}.bak")
    partial = backup.with_name(backup.name + ".part")
    try:
        _create_owner_only(partial)
        source = sqlite3.connect(path)
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        os.replace(partial, backup)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(
            f"cannot save a copy of {path} before upgrading it, nothing was changed: {exc}"
        ) from None
    return backup


def _store_state(conn: Connection, tables: set[str]) -> str:
    """'ours', 'empty' or 'foreign'."""
    if "store_meta" in tables:
        marker = conn.execute(
            select(m.StoreMeta.value).where(m.StoreMeta.key == "marker")
        ).scalar_one_or_none()
        return "ours" if marker == m.STORE_MARKER else "foreign"
    return "empty" if not tables else "foreign"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return re.sub(r"\s+", " ", first)
