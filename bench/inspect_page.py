"""Benchmark: how soon the ``oxcook inspect --html`` page of a root of many textures is usable in a browser.

Makes N distinct tiny RGBA PNGs (``bench/inspect_html.py``'s, 16x16 by default),
cooks them with ``oxcook cook --quality fast`` (sources and root kept in
``--cache-dir`` when given, so later runs reuse them), writes the page with
``oxcook inspect --html``, then opens the page in headless Chromium again and again,
each time in a fresh profile, and prints per run:

* ``ready``: milliseconds from the navigation's start until the page's own
  mark (``data-ready-ms`` on ``<body>``, set once the script has bound the
  filter box and every picture of the first screen has loaded or failed);
* ``DOMContentLoaded``: when the document was parsed;
* ``filter``: milliseconds the filter box takes to filter every card and lay
  the page out again (a name typed into it);

then the medians, beside the ``ready`` of an empty page that sets the same mark
(Chromium's own start of a tab, opened the same way in the same run). Chromium is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``): the times are the page's real clock, not the
virtual time ``--dump-dom`` runs under.

Run: ``python bench/inspect_page.py [--n 2000] [--runs 5] [--size 16] [--cache-dir DIR]``
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.inspect_html import make_sources  # noqa: E402

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--no-default-browser-check", "--window-size=1280,900",
)  # fmt: skip


def chromium() -> str | None:
    """The Chromium binary on PATH, if any."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class ProtocolError(Exception):
    """Chromium answered a DevTools command with an error, exited, or did not answer in time."""


class Chromium:
    """One headless Chromium, driven over the DevTools protocol on a pipe: JSON messages ending in NUL,
    commands written to its fd 3, answers and events read from its fd 4."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:  # in the child: the pipe's ends at the fds Chromium reads and writes (copied above 9 first: either may be 3 or 4)
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self._proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=wire, close_fds=False,
        )  # fmt: skip
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60.0) -> dict:
        """Run one command and return its result."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise ProtocolError(f"{method}: {answer['error']}")
                return answer["result"]

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise ProtocolError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise ProtocolError(f"Chromium exited ({self._proc.poll()})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str, timeout: float = 60.0) -> str:
        """A new tab showing ``url`` (its document committed, so :meth:`evaluate` runs in it); returns its session."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.navigate", {"url": url}, session)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:  # about:blank's context may still answer, or be torn down under the question
                if self.evaluate(session, "document.URL", timeout) != "about:blank":
                    return session
            except ProtocolError:
                pass
            time.sleep(0.01)
        raise ProtocolError(f"{url} did not open in time")

    def evaluate(self, session: str, expression: str, timeout: float = 60.0):
        """The value of a JavaScript expression in the tab (a promise is awaited)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True}, session, timeout)
        if "exceptionDetails" in result:
            raise ProtocolError(f"page script failed: {result['exceptionDetails'].get('text')} {result['result'].get('description', '')}")
        return result["result"].get("value")


# Resolves once <body data-ready-ms> is set (the page's own mark), polling every 10 ms of the page's clock.
_READY = """new Promise(function (resolve) {
  (function poll() {
    var ready = document.body && document.body.getAttribute('data-ready-ms');
    if (ready !== null && ready !== undefined) {
      resolve({ready: Number(ready),
               cards: document.querySelectorAll('article.texture').length, images: document.images.length,
               loaded: Array.prototype.filter.call(document.images, function (i) { return i.complete && i.naturalWidth > 0; }).length});
    } else { setTimeout(poll, 10); }
  })();
})"""

# Types a name into the filter box, times the filtering and the layout that follows, then empties the box
# and lists the texture cards the page then holds; and when DOMContentLoaded ended.
_FILTER = """(function () {
  var box = document.getElementById('filter');
  var start = performance.now();
  box.value = %s;
  box.dispatchEvent(new Event('input'));
  void document.body.offsetHeight;
  var took = performance.now() - start;
  var shown = document.querySelectorAll('article.texture:not([hidden])').length;
  box.value = '';
  box.dispatchEvent(new Event('input'));
  var ids = Array.prototype.map.call(document.querySelectorAll('article.texture:not([hidden])'), function (a) { return a.id; });
  return {filter: took, shown: shown, ids: ids, dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd};
})()"""


# A page with nothing but the mark and a filter box: what opening any page costs Chromium here.
EMPTY_PAGE = (
    '<!doctype html><html><body><input id="filter"><script>'
    "document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));</script></body></html>\n"
)


@dataclass(frozen=True)
class PageOpen:
    """One opening of the page: milliseconds of the page's clock, and what it showed."""

    ready_ms: float
    dcl_ms: float  # when DOMContentLoaded ended (the script, at the end of the page, may mark it ready before)
    filter_ms: float
    cards_at_ready: int  # texture cards in the document at the mark (the first screen's)
    images: int
    loaded: int  # pictures loaded at the mark
    shown: int  # texture cards the filter left
    ids: tuple[str, ...]  # every texture card's id once the filter is emptied


def open_page(page: Path, profile: Path, *, binary: str | None = None, filter_text: str = "tex00001", fragment: str = "", timeout: float = 120.0) -> PageOpen:
    """Open ``page`` (with ``fragment``, ``#...``) in a fresh headless Chromium (``profile`` its user-data folder) and time it."""
    binary = binary or chromium()
    if binary is None:
        raise ProtocolError("chromium is not installed")
    with Chromium(binary, profile) as browser:
        session = browser.open(page.as_uri() + fragment)
        ready = browser.evaluate(session, _READY, timeout)
        filtered = browser.evaluate(session, _FILTER % json.dumps(filter_text), timeout)
    return PageOpen(ready["ready"], filtered["dcl"], filtered["filter"], ready["cards"], ready["images"], ready["loaded"], filtered["shown"], tuple(filtered["ids"]))


def build_root(folder: Path, n: int, size: int) -> Path:
    """Sources and the cooked root in ``folder`` (reused when already there); returns the root."""
    root = folder / "root"
    if (folder / "cooked").is_file():
        return root
    src = folder / "src"
    if not src.is_dir():
        make_sources(src, n, size)
    cook = subprocess.run(
        [sys.executable, "-m", "oxcook", "cook", str(src), "-o", str(root), "--quality", "fast", "--no-cache", "--progress", "none", "-q"], capture_output=True, text=True
    )
    if cook.returncode != 0:
        raise RuntimeError(f"cook failed ({cook.returncode}): {cook.stderr[-2000:]}")
    (folder / "cooked").touch()
    return root


def write_page(root: Path, out: Path) -> Path:
    """``oxcook inspect ROOT --html OUT``; returns the page."""
    html = subprocess.run([sys.executable, "-m", "oxcook", "inspect", str(root), "--html", str(out), "--progress", "none"], capture_output=True, text=True)
    if html.returncode != 0:
        raise RuntimeError(f"inspect --html failed ({html.returncode}): {html.stderr[-2000:]}")
    return out / "index.html"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="textures in the root")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=16, help="side of each texture, in pixels")
    parser.add_argument("--cache-dir", type=Path, help="keep the sources, root and page here and reuse them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oxcook-bench-page-") as tmp:
        folder = args.cache_dir or Path(tmp) / "built"
        root = build_root(folder / f"n{args.n}-s{args.size}", args.n, args.size)
        started = time.perf_counter()
        page = write_page(root, Path(tmp) / "page")
        print(f"page of {args.n} textures of {args.size}x{args.size}: {page.stat().st_size / 1e6:.1f} MB, written in {time.perf_counter() - started:.1f} s")
        empty = Path(tmp) / "empty.html"
        empty.write_text(EMPTY_PAGE)
        opens, empties = [], []
        for run in range(args.runs):
            empties.append(open_page(empty, Path(tmp) / f"empty{run}", filter_text="").ready_ms)
            opened = open_page(page, Path(tmp) / f"profile{run}")
            opens.append(opened)
            print(f"run {run + 1}: ready {opened.ready_ms:7.0f} ms  DOMContentLoaded {opened.dcl_ms:7.0f} ms  filter {opened.filter_ms:6.0f} ms  "
                  f"({opened.cards_at_ready} cards and {opened.loaded} of {opened.images} pictures in at the mark; {len(opened.ids)} cards in all)")  # fmt: skip
        median = {k: statistics.median(getattr(o, k) for o in opens) for k in ("ready_ms", "dcl_ms", "filter_ms")}
        print(f"median of {args.runs}: ready {median['ready_ms']:.0f} ms, DOMContentLoaded {median['dcl_ms']:.0f} ms, filter {median['filter_ms']:.0f} ms; "
              f"an empty page: ready {statistics.median(empties):.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
