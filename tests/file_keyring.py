"""A keyring backend for the tests: a JSON file named by ``$TEST_KEYRING_FILE``.

Child processes use it through ``PYTHON_KEYRING_BACKEND=file_keyring.FileKeyring``
(``tests/`` on their ``PYTHONPATH``), so a password saved by the test is
found by a real ``bulkprofiles`` process, as the system keyring would be.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

BACKEND = "file_keyring.FileKeyring"


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        stored = self._load()
        stored[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(stored), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        stored = self._load()
        if stored.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self._path().write_text(json.dumps(stored), encoding="utf-8")
