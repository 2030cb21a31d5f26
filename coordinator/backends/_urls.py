"""Broker URLs: which schemes oxcook knows, what a usable one looks like, and how to show one without its password."""

from __future__ import annotations

import urllib.parse

from .._errors import ConfigError

# The one table of backends: a broker URL's scheme -> the module and class that run its work
# (each class opens itself from the URL: ``cls.open(url, workers=..., memory_budget=..., **options)``).
BACKENDS: dict[str, tuple[str, str]] = {
    "local": ("._local_backend", "LocalBackend"),
    "redis": ("._farm_backend", "FarmBackend"),
    "rediss": ("._farm_backend", "FarmBackend"),
}
KNOWN_SCHEMES = tuple(BACKENDS)


def check_broker_url(url: str) -> None:
    """A broker URL the farm can use: ``redis://[user:password@]host[:port][/db]`` or ``rediss://…``.

    Raises:
        ConfigError: an unknown scheme, or a URL without a host, with a bad port or database number
            (the message never repeats a password).
    """
    if url.strip().lower() in ("local", "local://"):
        return
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    shown = mask_url(url)
    if scheme not in KNOWN_SCHEMES:
        raise ConfigError(f"broker URL {shown!r}: unknown scheme {scheme!r}; known schemes: {', '.join(KNOWN_SCHEMES)}")
    try:
        _ = parts.port  # a port that is not a number in range raises here
    except ValueError as exc:
        raise ConfigError(f"broker URL {shown!r}: {exc}") from None
    if not parts.hostname:
        raise ConfigError(f"broker URL {shown!r} names no host; expected {scheme}://host:port/db")
    db = parts.path.lstrip("/")
    if db and not db.isdigit():
        raise ConfigError(f"broker URL {shown!r}: database {db!r} is not a number")


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages, logs and reports)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[-1]}"))
