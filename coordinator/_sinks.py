"""Names are data, never commands: one escaping function for each place a name or message is written.

A file name may hold any byte but ``/`` and NUL: a newline followed by
``::error …`` would forge a GitHub workflow command (the runner reads every
line of stdout and stderr for them), an ESC would drive the terminal,
characters XML forbids would make a JUnit report unreadable, and in an HTML
page markup would run and control characters would vanish unseen. Each sink gets
the text through its own function here; JSON needs none (the encoder escapes
every control character) and Prometheus label values are escaped by
``prometheus_client``.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_XML_ILLEGAL = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(match: re.Match) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def terminal(text: str) -> str:
    """``text`` for one line of a terminal or log: control characters shown escaped (``\\n``, ``\\x1b``)."""
    return _CONTROL.sub(_shown, text)


def html_text(text: str) -> str:
    """``text`` for an HTML page, in an element or a quoted attribute: markup escaped, control characters shown escaped."""
    return html.escape(terminal(text), quote=True)


def xml_text(text: str) -> str:
    """``text`` as XML 1.0 may hold it: characters it forbids (most C0 controls, lone surrogates) shown escaped."""
    return _XML_ILLEGAL.sub(_shown, text)


def github_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped as GitHub's toolkit does (``escapeData``), other
    control characters shown escaped (the log viewer would act on an ESC)."""
    return _CONTROL_BUT_LINE_BREAKS.sub(_shown, text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value (``file=``, ``title=``): also ``:`` and ``,`` (``escapeProperty``)."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(path: str, environ=os.environ) -> str:
    """``path`` as GitHub resolves an annotation's file: relative to ``$GITHUB_WORKSPACE`` (else the working
    folder) when it lies inside it, else as it is."""
    if not path:
        return path
    base = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd()).resolve()
    absolute = Path(path).resolve() if Path(path).is_absolute() else (Path.cwd() / path).resolve()
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return path
