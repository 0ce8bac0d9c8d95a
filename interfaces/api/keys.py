"""API keys, stored hashed: ``articleqa keys add|list|revoke`` writes them, the server checks bearer tokens.

The file (``server.keys_file``, default ``<index_dir>/api-keys.json``) holds, per key, an id, a name, the first
characters of the key (to recognise it in a list), the sha256 of the whole key and when it was made. Keys are 32
random bytes, so a plain sha256 is enough (there is nothing to brute-force). The server re-reads the file when it
changes, so a key added or revoked while it runs takes effect on the next request.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from articleqa.settings import Settings

KEY_PREFIX = "aq-"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class KeyFileError(RuntimeError):
    pass


@dataclass
class KeyRecord:
    id: str
    name: str
    prefix: str  # the first characters of the key, shown by `keys list`
    sha256: str
    created: float


def keys_path(settings: Settings) -> Path:
    configured = settings.server.keys_file
    return Path(configured).expanduser() if configured else Path(settings.index_dir) / "api-keys.json"


def needs_key(host: str) -> bool:
    """Bound to loopback, no key is needed; bound to any other address, every API request needs one."""
    return host not in LOOPBACK_HOSTS and not host.startswith("127.")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._records: list[KeyRecord] = []

    # -- file ---------------------------------------------------------------------------------------------------
    def _read(self) -> list[KeyRecord]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            raise KeyFileError(f"{self.path}: not a readable key file ({e})") from e
        try:
            return [KeyRecord(**r) for r in data.get("keys", [])]
        except (TypeError, AttributeError) as e:
            raise KeyFileError(f"{self.path}: unexpected content ({e})") from e

    def _write(self, records: list[KeyRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # hashes only, still nobody else's business
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"keys": [asdict(r) for r in records]}, fh, indent=2)
        os.replace(tmp, self.path)

    def records(self) -> list[KeyRecord]:
        """The keys, re-read when the file changed."""
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._records = self._read() if stamp else []
                self._stamp = stamp
            return list(self._records)

    # -- commands -----------------------------------------------------------------------------------------------
    def add(self, name: str = "") -> tuple[KeyRecord, str]:
        """A new key: (its record, the key itself, shown once)."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        rec = KeyRecord(id=secrets.token_hex(4), name=name or "", prefix=key[:8], sha256=_hash(key),
                        created=time.time())
        self._write(self._read() + [rec])
        return rec, key

    def revoke(self, id_or_name: str) -> list[KeyRecord]:
        """Remove the keys with this id (or name); returns those removed."""
        records = self._read()
        gone = [r for r in records if id_or_name in (r.id, r.name)]
        if gone:
            self._write([r for r in records if r not in gone])
        return gone

    def verify(self, key: str) -> KeyRecord | None:
        if not key:
            return None
        digest = _hash(key)
        for r in self.records():
            if hmac.compare_digest(r.sha256, digest):
                return r
        return None
