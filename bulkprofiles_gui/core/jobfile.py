"""The job document (domain.md, "Job file"): parsing and validation of its shape.

A job is JSON the wizard saves and opens and the command line runs.  This
module checks the top-level keys and the selection part; each action module
checks its own ``action`` part (``bulkprofiles_gui.core.actions``).  Unknown
keys are an error, never ignored.  Errors name the key path, e.g.
``job.range.from: must be a number from 0 to 100``; for a job read from a
file they start with the file's name (``jobs/x.json: job.range.from: ...``),
also when the store finds the problem later (:func:`naming_job_file`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ConfigError
from .errors import OperatorError, TaskError
from .limits import (
    MAX_JOB_FILE_BYTES,
    LimitError,
    limit_problem,
    name_problem,
    parse_json,
    rules_problem,
    short,
)

TOP_LEVEL_KEYS = (
    "database",
    "segment",
    "rules",
    "range",
    "limit",
    "skip_triggers",
    "action",
)


class JobFileError(OperatorError, ValueError):
    """A job document that is not valid; the message names the wrong key."""


def rule_group(rules: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """A rule group (react-querybuilder's shape) that ANDs ``rules``."""
    return {"combinator": "and", "not": False, "rules": list(rules)}


def empty_rules() -> dict[str, Any]:
    """The rule group without conditions: every profile of the database."""
    return rule_group()


@dataclass
class Job:
    database: str | None = None
    segment: str | None = None
    rules: dict[str, Any] = field(default_factory=empty_rules)
    range_from: float = 0.0
    range_to: float = 100.0
    limit: int = 0
    skip_triggers: bool = False
    action: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "segment": self.segment,
            "rules": self.rules,
            "range": {"from": self.range_from, "to": self.range_to},
            "limit": self.limit,
            "skip_triggers": self.skip_triggers,
            "action": self.action,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, raw: Any, *, require_action: bool = False) -> Job:
        if not isinstance(raw, dict):
            raise JobFileError("job: must be a JSON object")
        unknown = [k for k in raw if k not in TOP_LEVEL_KEYS]
        if unknown:
            raise JobFileError(
                f"job.{short(str(unknown[0]))}: unknown key (allowed: {', '.join(TOP_LEVEL_KEYS)})"
            )
        job = cls()
        job.database = _optional_str(raw, "database")
        job.segment = _optional_str(raw, "segment")
        if not job.database and not job.segment:
            raise JobFileError("job.database: name a profile database (or job.segment)")
        rules = raw.get("rules")
        if rules is not None:
            if not isinstance(rules, dict):
                raise JobFileError("job.rules: must be a rule group object")
            problem = rules_problem(rules)
            if problem:
                raise JobFileError(f"job.rules: {problem}")
            job.rules = rules
        job.range_from, job.range_to = _parse_range(raw.get("range"))
        limit = raw.get("limit", 0)
        if limit is None:
            limit = 0
        problem = limit_problem(limit)
        if problem:
            raise JobFileError(f"job.limit: {problem}")
        job.limit = limit
        skip = raw.get("skip_triggers", False)
        if not isinstance(skip, bool):
            raise JobFileError("job.skip_triggers: must be true or false")
        job.skip_triggers = skip
        action = raw.get("action")
        if action is not None and not isinstance(action, dict):
            raise JobFileError("job.action: must be an object with a 'type'")
        if require_action and action is None:
            raise JobFileError("job.action: missing (what should the job do?)")
        job.action = action
        return job

    @classmethod
    def load(cls, path: str | Path, *, require_action: bool = False) -> Job:
        path = Path(path)
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_JOB_FILE_BYTES + 1)
            if len(data) > MAX_JOB_FILE_BYTES:
                raise JobFileError(
                    f"{path}: the job file is larger than {MAX_JOB_FILE_BYTES // 2**20} MB "
                    "(the limit)"
                )
            text = data.decode("utf-8-sig")  # Notepad and Excel write a byte order mark
        except FileNotFoundError:
            raise JobFileError(f"{path}: no such job file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise JobFileError(f"{path}: cannot read the job file ({exc})") from None
        try:
            raw = parse_json(text)
        except LimitError as exc:
            raise JobFileError(f"{path}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise JobFileError(
                f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        try:
            return cls.from_dict(raw, require_action=require_action)
        except JobFileError as exc:
            raise JobFileError(f"{path}: {exc}") from None


def job_error_types() -> tuple[type[Exception], ...]:
    """The exceptions that say what is wrong with a job: its shape, a name the
    store does not know (database, segment, resource, program, field), its rules,
    its action's parameters, a value beyond a limit: every operator error but
    those of :data:`NOT_ABOUT_THE_JOB`."""
    return (OperatorError,)


#: Operator errors that say nothing about the job: unreadable settings, a task
#: that cannot start.
NOT_ABOUT_THE_JOB: tuple[type[Exception], ...] = (ConfigError, TaskError)


@contextmanager
def naming_job_file(path: str | Path) -> Iterator[None]:
    """Errors about the job raised inside start with the job file's name.

    :meth:`Job.load` checks the document's shape; the names and rules are only
    checked against the store afterwards.  Wrap that validation (not the whole
    command: a store or export error is not about the job) so that every error
    about the file reads like ``jobs/x.json: job.action.resource: ...``.
    """
    name = f"{Path(path)}: "
    try:
        yield
    except job_error_types() as exc:
        if isinstance(exc, NOT_ABOUT_THE_JOB) or str(exc).startswith(name):
            raise  # not about the job, or Job.load's own error naming the file already
        raise JobFileError(f"{name}{exc}") from exc


def _optional_str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise JobFileError(f"job.{key}: must be a name (text) or null")
    problem = name_problem(value)
    if problem:
        raise JobFileError(f"job.{key}: {problem}")
    return value.strip()


def _parse_range(value: Any) -> tuple[float, float]:
    if value is None:
        return 0.0, 100.0
    if not isinstance(value, dict):
        raise JobFileError('job.range: must be an object like {"from": 0, "to": 100}')
    unknown = [k for k in value if k not in ("from", "to")]
    if unknown:
        raise JobFileError(f"job.range.{short(str(unknown[0]))}: unknown key (allowed: from, to)")
    bounds = []
    for key, default in (("from", 0.0), ("to", 100.0)):
        v = value.get(key, default)
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 100:
            raise JobFileError(f"job.range.{key}: must be a number from 0 to 100")
        bounds.append(float(v))
    if bounds[0] >= bounds[1]:
        raise JobFileError("job.range: 'from' must be less than 'to'")
    return bounds[0], bounds[1]
