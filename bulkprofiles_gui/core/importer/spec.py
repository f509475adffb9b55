"""The import document: what to import, from which file, into which database, how.

It is the ``job`` of an import task (so the Tasks view shows it and a resume
reads it back) and what ``bulkprofiles import`` and the import wizard build.
Unknown keys are errors, as in job files.  :meth:`ImportSpec.to_dict` of a
prepared import holds the resolved choices (encoding, delimiter, the whole
mapping, the fields to create) and the file's size and modification time, so
a resume refuses a file that changed since.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..limits import short
from .csvfile import ImportFileError

IMPORT_TYPE = "import_profiles"
IMPORT_LABEL = "Import profiles from CSV"
MODES = {
    "add": "add new profiles only",
    "update": "update existing profiles only",
    "upsert": "add new profiles and update existing ones",
}
#: What happens to rows of the file that share a match key.
DUPLICATES = {
    "last": "the later row wins (earlier rows are skipped)",
    "reject": "every row with a repeated key is rejected",
}
DEFAULT_MODE = "upsert"
DEFAULT_DUPLICATES = "last"
DEFAULT_MATCH = "email"

_KEYS = frozenset(
    {
        "type",
        "file",
        "database",
        "mapping",
        "match",
        "mode",
        "create_fields",
        "empty_clears",
        "duplicates",
        "subscribe",
        "skip_triggers",
        "encoding",
        "delimiter",
        "rejects",
        "new_fields",
        "file_size",
        "file_mtime_ns",
        "created_fields",
        "result",
    }
)
_SUBSCRIBE_KEYS = frozenset({"resource", "channel", "status", "include_unsafe"})


class ImportSpecError(ImportFileError):
    """An import document or option that is not valid; names the key."""


@dataclass
class Subscribe:
    """Subscribe every imported profile: resource, channel and status."""

    resource: str
    channel: str
    status: str = "subscribed"
    include_unsafe: bool = False

    @classmethod
    def parse(cls, text: str) -> Subscribe:
        """``RESOURCE/CHANNEL/STATUS`` as the command line takes it."""
        parts = [p.strip() for p in text.rsplit("/", 2)]
        if len(parts) != 3 or not all(parts):
            raise ImportSpecError(
                f"--subscribe {short(text)!r}: expected RESOURCE/CHANNEL/STATUS, "
                "e.g. Newsletter/email/subscribed"
            )
        return cls(parts[0], parts[1], parts[2])

    def action(self) -> dict[str, Any]:
        """The same parameters as a ``subscribe_from_fields`` job action."""
        return {
            "type": "subscribe_from_fields",
            "resource": self.resource,
            "channel": self.channel,
            "status": self.status,
            "include_unsafe": self.include_unsafe,
        }


@dataclass
class ImportSpec:
    file: str
    database: str
    #: Column name -> field key, None to skip the column; None: map automatically.
    mapping: dict[str, str | None] | None = None
    match: str = DEFAULT_MATCH
    mode: str = DEFAULT_MODE
    create_fields: bool = False
    empty_clears: bool = False
    duplicates: str = DEFAULT_DUPLICATES
    subscribe: Subscribe | None = None
    skip_triggers: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    #: Where to write the rows that were not imported (CSV), or None.
    rejects: str | None = None
    #: Set when prepared: column -> type of the custom fields "create fields" makes.
    new_fields: dict[str, str] = field(default_factory=dict)
    #: Set when run: column -> key of the custom fields the import created.
    created_fields: dict[str, str] = field(default_factory=dict)
    file_size: int | None = None
    file_mtime_ns: int | None = None

    def check(self) -> None:
        """The choices that need no store: ImportSpecError naming the option."""
        if self.mode not in MODES:
            raise ImportSpecError(
                f"mode {short(str(self.mode))!r} is not one of: {', '.join(MODES)}"
            )
        if self.duplicates not in DUPLICATES:
            raise ImportSpecError(
                f"duplicates {short(str(self.duplicates))!r} is not one of: {', '.join(DUPLICATES)}"
            )
        if not self.database or not str(self.database).strip():
            raise ImportSpecError("name the profile database to import into (--database NAME)")
        if not self.match or not str(self.match).strip():
            raise ImportSpecError("name the field that matches existing profiles (--match KEY)")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["type"] = IMPORT_TYPE
        return data

    @classmethod
    def from_dict(cls, raw: Any) -> ImportSpec:
        if not isinstance(raw, dict):
            raise ImportSpecError("import: the document must be an object")
        unknown = sorted(set(raw) - _KEYS)
        if unknown:
            raise ImportSpecError(f"import.{short(unknown[0])}: unknown key")
        if raw.get("type", IMPORT_TYPE) != IMPORT_TYPE:
            raise ImportSpecError(f"import.type: must be {IMPORT_TYPE!r}")
        data = {k: v for k, v in raw.items() if k not in ("type", "result")}
        sub = data.get("subscribe")
        if sub is not None:
            if not isinstance(sub, dict) or set(sub) - _SUBSCRIBE_KEYS:
                raise ImportSpecError(
                    "import.subscribe: expected {resource, channel, status, include_unsafe}"
                )
            data["subscribe"] = Subscribe(**sub)
        for key in ("file", "database"):
            if not isinstance(data.get(key), str):
                raise ImportSpecError(f"import.{key}: missing")
        spec = cls(**data)
        spec.check()
        return spec
