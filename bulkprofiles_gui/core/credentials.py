"""Passwords of saved connections: in the system keyring, never in a file.

A saved connection is a name and a URL in the settings file, without its
password; the password goes to the system keyring (service
:data:`KEYRING_SERVICE`, user = the connection's name) and is put back into
the URL only when the store is opened.  The window (File → Connections) and
every command use the same functions, so a connection saved in the window
works on the command line as it is.  On a machine without a keyring the
password is kept for this process only (:func:`save_password` says so).

``keyring`` (about 90 ms to import) is imported only when a URL names a user
and no password, i.e. never for the embedded SQLite store.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

KEYRING_SERVICE = "bulkprofiles"
#: The saved connection of the embedded store, always there (``core/config.py``).
DEFAULT_CONNECTION = "Embedded (this computer)"


class Settings(Protocol):
    """The saved connections of the settings (``config.Settings``), as this
    module reads and changes them; the settings file itself is ``config``'s."""

    connections: dict[str, str]
    default_connection: str

    def chosen_url(self, explicit: str | None = None) -> str: ...


#: Passwords the keyring could not keep, for this process only.
_session_passwords: dict[str, str] = {}


def split_password(url: str) -> tuple[str, str | None]:
    """The URL without its password, and the password (None when there is none)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url, None
    if parsed.password is None:
        return url, None
    password = str(parsed.password)
    # URL.set(password=None) would keep the password: replace the field itself.
    without = parsed._replace(password=None)
    return without.render_as_string(hide_password=False), password


def with_password(url: str, password: str | None) -> str:
    """``url`` with ``password`` put in (unchanged without one)."""
    if not password:
        return url
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url
    return parsed.set(password=password).render_as_string(hide_password=False)


def save_password(name: str, password: str) -> str | None:
    """Keep the connection's password in the keyring; a readable note when it
    could not (the password is then kept for this process only)."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(KEYRING_SERVICE, name, password)
            _session_passwords.pop(name, None)
            return None
        except KeyringError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    except ImportError:
        reason = "the keyring package is not installed"
    _session_passwords[name] = password
    return f"No system keyring ({reason}): the password is kept for this session only."


def load_password(name: str) -> str | None:
    """The saved password of a connection, or None."""
    if name in _session_passwords:
        return _session_passwords[name]
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, name)
    except Exception:  # any keyring backend failure means "no stored password"
        return None


def delete_password(name: str) -> None:
    """Forget a connection's password (nothing stored, or no keyring: nothing to do)."""
    _session_passwords.pop(name, None)
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, name)
    except Exception:  # nothing stored, or no keyring: nothing to delete
        pass


def _needs_password(url: str) -> bool:
    """A URL naming a user and no password: the keyring may hold it."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return False
    return parsed.username is not None and parsed.password is None


def connection_url(settings: Settings, name: str) -> str:
    """The URL of a saved connection with its password from the keyring."""
    url = settings.connections[name]
    return with_password(url, load_password(name)) if _needs_password(url) else url


def resolve_store_url(settings: Settings, explicit: str | None = None) -> tuple[str, str | None]:
    """(URL to open, saved connection's name or None).

    ``explicit`` (``--db``) is a URL or the name of a saved connection; without
    it, ``$BULKPROFILES_DB_URL``, then the default connection.  A URL that is a
    saved connection's gets that connection's password from the keyring."""
    if explicit and explicit in settings.connections:
        return connection_url(settings, explicit), explicit
    url = settings.chosen_url(explicit)
    if url == settings.connections.get(settings.default_connection):
        name = settings.default_connection
        return connection_url(settings, name), name
    for name, known in settings.connections.items():
        if known == url:
            return connection_url(settings, name), name
    return url, None


def forget_connection(settings: Settings, name: str) -> None:
    """Remove a saved connection and its password (the default falls back to
    the embedded store); the caller saves the settings."""
    settings.connections.pop(name, None)
    if settings.default_connection == name:
        settings.default_connection = DEFAULT_CONNECTION
    delete_password(name)


def remember_connection(settings: Settings, name: str, url: str) -> str | None:
    """Save a connection: its URL without the password in the settings (the
    caller saves them), the password in the keyring.  The keyring's note when
    it could not keep the password, else None."""
    without, password = split_password(url)
    settings.connections[name] = without
    return save_password(name, password) if password else None
