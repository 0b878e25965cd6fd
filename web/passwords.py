"""The web password: scrypt hashes (`fouille passwd`) and checking a password against the
`web_password` setting, which holds either such a hash or the password itself.

scrypt comes with Python (`hashlib.scrypt`, over OpenSSL): no dependency for a memory-hard
hash. A hash reads `scrypt$N$r$p$salt$key`, salt and key in unpadded URL-safe base64, so it
can be pasted into fouille.toml or a shell variable as it is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from search import ConfigError
from search.i18n import N_

PREFIX = "scrypt$"
#: 2^15 × 8 × 128 bytes = 32 MiB and some 50–100 ms per check on a small server: costly for
#: a guesser, fine for a login (and Basic auth checks are remembered, see auth.py).
N, R, P = 2**15, 8, 1
KEY_BYTES = 32
SALT_BYTES = 16
#: Bounds on what a hash may ask for, so that a hand-edited one cannot take the server down.
MAX_N, MAX_R, MAX_P = 2**20, 32, 16
MAX_MEMORY = 1 << 30


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    """A new `scrypt$…` hash of `password`, with a random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, r, p)
    return f"{PREFIX}{n}${r}${p}${_b64(salt)}${_b64(key)}"


def is_hash(setting: str) -> bool:
    """Whether the `web_password` setting is a hash rather than the password itself."""
    return setting.startswith(PREFIX)


def check_setting(setting: str) -> None:
    """Refuse a `web_password` that starts like a hash but is not a usable one.

    Raises:
        ConfigError: the hash is malformed (one line; the setting is never quoted).
    """
    if is_hash(setting):
        _parse(setting)


def verify(password: str, setting: str) -> bool:
    """Whether `password` is the one the `web_password` setting holds (clear or hashed);
    in time that does not depend on where the two first differ."""
    if not setting:
        return False
    if not is_hash(setting):
        return hmac.compare_digest(_digest(password), _digest(setting))
    n, r, p, salt, key = _parse(setting)
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(key)), key)


def _parse(setting: str) -> tuple[int, int, int, bytes, bytes]:
    problem = N_(
        "web_password looks like a scrypt hash but is not one: make it with `fouille passwd`"
    )
    parts = setting.split("$")
    if len(parts) != 6:
        raise ConfigError(problem)
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        raise ConfigError(problem) from None
    if not (
        1 < n <= MAX_N
        and n & (n - 1) == 0
        and 0 < r <= MAX_R
        and 0 < p <= MAX_P
        and 128 * r * (n + p) <= MAX_MEMORY
        and len(salt) >= 8
        and len(key) >= 16
    ):
        raise ConfigError(problem)
    return n, r, p, salt, key


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, size: int = KEY_BYTES) -> bytes:
    memory = 128 * r * (n + p) + (1 << 20)
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=memory, dklen=size)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or any(c not in _ALPHABET for c in text):
        raise ValueError("not base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
