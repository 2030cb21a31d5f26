"""The inspection page as one self-contained HTML string (pure: plain data in, text out).

No network and nothing from a CDN: inline CSS and a little inline script (the
filter box, a banner for script errors, and a self-check that ``#check`` at the
end of the URL runs: every picture is loaded once and the result written into
``<pre id="check">``; ``#filter=WORDS`` opens the page filtered). Every name from the container or the report is data:
escaped, never markup, its control characters shown as ``\\x1b`` (``coordinator._sinks``). Pictures load lazily,
and the cards past the first screen wait as inert markup until the reader scrolls near them, so a root of 10 000
textures opens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._sinks import html_text
from ._album import Card
from ._catalog import Catalog

_CSS = """
:root{--bg:#f6f6f4;--fg:#1d1d1b;--muted:#66645e;--line:#d8d6cf;--bad:#b3261e;--warn:#8a5a00;--ok:#1e6b35}
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
header,main,footer{padding:12px 20px}header{border-bottom:1px solid var(--line);background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 8px}h3{font-size:14px;margin:0 0 6px;word-break:break-all}
.result.ok{color:var(--ok)}.result.bad{color:var(--bad)}.muted{color:var(--muted)}
.problems{border:2px solid var(--bad);background:#fff3f2;padding:8px 12px;margin:12px 0}
.problems li{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.counts span{display:inline-block;margin-right:16px}
#filter{width:min(480px,100%);padding:6px 8px;font:inherit;border:1px solid var(--line);border-radius:4px}
.grid{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px;width:560px;max-width:100%}
.card.failed{border-color:var(--bad);box-shadow:inset 4px 0 0 var(--bad)}.card.warned{box-shadow:inset 4px 0 0 var(--warn)}
.card[hidden]{display:none}.card{content-visibility:auto;contain-intrinsic-size:auto 560px auto 360px}
.views{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end}
figure{margin:0}figcaption{font-size:11px;color:var(--muted)}
.views img,.slot img{image-rendering:pixelated;background:repeating-conic-gradient(#ccc 0 25%,#fff 0 50%) 0 0/16px 16px;border:1px solid var(--line)}
.mips{margin-top:6px;overflow-x:auto}
.placeholder{width:160px;height:160px;display:flex;align-items:center;justify-content:center;text-align:center;padding:8px;
 background:repeating-linear-gradient(45deg,#fde8e6 0 10px,#fff 0 20px);border:2px dashed var(--bad);color:var(--bad);font-size:12px;word-break:break-all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:8px 0 0;font-size:12px}dt{color:var(--muted)}dd{margin:0;word-break:break-all}
ul.diag{margin:4px 0 0;padding-left:18px;font-size:12px}.error{color:var(--bad)}.warning{color:var(--warn)}
.slots{display:flex;flex-wrap:wrap;gap:8px}.slot{font-size:11px;text-align:center;width:80px;word-break:break-all}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid var(--line);padding:4px 8px;text-align:left;font-size:12px}
#script-errors{background:var(--bad);color:#fff;padding:8px 20px;margin:0;white-space:pre-wrap}
"""

_SCRIPT = """
(function () {
  var errors = [];
  function showErrors() {
    var banner = document.getElementById('script-errors');
    banner.textContent = 'page script error: ' + errors.join('\\n');
    banner.hidden = false;
  }
  window.addEventListener('error', function (e) { errors.push(String(e.message || e)); showErrors(); });
  var filter = document.getElementById('filter');
  var shown = document.getElementById('shown');
  // Cards past the first screen arrive as chunks of markup in inert <script type="text/html">
  // elements (the parser only scans them for their end): each is parsed and put in place when the
  // end of the cards shown nears the screen, and all of them before filtering, checking or
  // following a link to one.
  var later = Array.prototype.slice.call(document.querySelectorAll('script.later'));
  var more = document.getElementById('more-textures');
  function showNext() {
    var chunk = later.shift();
    if (chunk) { chunk.replaceWith(document.createRange().createContextualFragment(chunk.textContent)); }
  }
  function showAll() { while (later.length) { showNext(); } }
  function nearEnd() { return more.getBoundingClientRect().top < window.innerHeight * 3; }
  if ('IntersectionObserver' in window) {
    new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) {
        do { showNext(); } while (later.length && nearEnd());
      }
    }, {rootMargin: '0px 0px 200% 0px'}).observe(more);
  } else { showAll(); }
  function applyFilter() {
    showAll();
    var cards = Array.prototype.slice.call(document.querySelectorAll('[data-search]'));
    var words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var count = 0;
    cards.forEach(function (card) {
      var text = card.getAttribute('data-search');
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
      card.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = words.length ? count + ' of ' + cards.length + ' shown' : '';
  }
  filter.addEventListener('input', applyFilter);
  function follow() {
    if (/^#tex-\\d+$/.test(location.hash) && !document.getElementById(location.hash.slice(1))) {
      showAll();
      var card = document.getElementById(location.hash.slice(1));
      if (card) { card.scrollIntoView(); }
    }
  }
  window.addEventListener('hashchange', follow);
  follow();
  var params = new URLSearchParams(location.hash.slice(1));
  if (params.has('filter')) { filter.value = params.get('filter'); applyFilter(); }
  function check() {
    showAll();
    var images = Array.prototype.slice.call(document.images);
    Promise.all(images.map(function (img) {
      return new Promise(function (resolve) {
        var probe = new Image();
        probe.onload = function () { resolve([img.getAttribute('src'), probe.naturalWidth > 0]); };
        probe.onerror = function () { resolve([img.getAttribute('src'), false]); };
        probe.src = img.src;
      });
    })).then(function (results) {
      var out = document.getElementById('check');
      out.textContent = JSON.stringify({
        images: results.length,
        loaded: results.filter(function (r) { return r[1]; }).length,
        failed: results.filter(function (r) { return !r[1]; }).map(function (r) { return r[0]; }),
        cards: document.querySelectorAll('article.texture').length,
        errors: errors
      });
      out.setAttribute('data-done', 'yes');
    });
  }
  if (params.has('check')) { check(); }
  // The page is usable once this script ran (the filter box works) and the pictures of the first
  // screen have loaded: marked as milliseconds since the navigation began in <body data-ready-ms>.
  function firstScreen() {
    var bottom = window.innerHeight, shown = [];
    for (var i = 0; i < document.images.length; i += 1) {
      var box = document.images[i].getBoundingClientRect();
      if (box.top >= bottom && box.height > 0) { break; }  // in page order: the rest lie lower
      if (box.bottom > 0 && box.height > 0) { shown.push(document.images[i]); }
    }
    return shown;
  }
  var waiting = firstScreen().filter(function (img) { return !img.complete; });
  function ready() { document.body.setAttribute('data-ready-ms', String(Math.round(performance.now()))); }
  var left = waiting.length;
  if (!left) { ready(); }
  waiting.forEach(function (img) {
    function one() { left -= 1; if (left === 0) { ready(); } }
    img.addEventListener('load', one);
    img.addEventListener('error', one);
  });
})();
"""


@dataclass(frozen=True)
class PageFacts:
    """What the page says about the root beyond its textures."""

    root: str
    recognized: bool
    valid: bool
    violations: tuple[tuple[str, str], ...]  # (severity, text)
    buffers: int = 0
    report: str = ""  # the cook report shown, if any
    sorted_worst_first: bool = False


def _e(value) -> str:
    return html_text(str(value))


def _img(file: str, width: int, height: int, alt: str) -> str:
    return f'<img src="{_e(file)}" width="{width}" height="{height}" loading="lazy" decoding="async" alt="{_e(alt)}">'


def _bytes(n: int) -> str:
    return f"{n:,} B" if n < 10240 else f"{n / 1024:,.0f} KiB" if n < 10 * 1024 * 1024 else f"{n / 1048576:,.1f} MiB"


def _psnr(value: float) -> str:
    return "identical as drawn" if math.isinf(value) else f"{value:.2f} dB"


# Cards in the page's markup; the rest wait as markup in inert <script type="text/html"> chunks of CHUNK,
# parsed and put in place as the reader scrolls (the page's parser only scans them: a root of 10 000 textures opens).
FIRST_SCREEN = 24
CHUNK = 100

_CAPTIONS = {"texture": "level 0", "alpha": "alpha", "shaded": "normals, lit", "source": "source", "error": "error vs source"}


def _texture_card(card: Card, material_ids: dict[str, int]) -> str:
    info, row = card.info, card.info.row
    shape = f"{row.width}x{row.height}" + (f"x{row.depth}" if row.depth > 1 else "") + (f", {row.array_layers} layers" if row.array_layers > 1 else "")
    search = " ".join([str(info.index), info.title, *info.names, *info.sidecars, info.format_name, shape, *(m for m, _ in info.uses), *(s for _, s in info.uses)])
    search += " failed" if card.failed else " warned" if card.warned else ""
    search += " normal" if info.normal_map else ""
    cls = "card texture" + (" failed" if card.failed else " warned" if card.warned else "")
    parts = [f'<article class="{cls}" id="tex-{info.index}" data-search="{_e(search.lower())}">', f"<h3>[{info.index}] {_e(info.title)}</h3>"]
    views = [p for p in card.pictures if p.view != "mips"]
    parts.append('<div class="views">')
    if card.error:
        parts.append(f'<div class="placeholder" role="img" aria-label="row {info.index} unreadable">row {info.index} does not read:<br>{_e(card.error)}</div>')
    for p in views:
        caption = _CAPTIONS[p.view] + (", layer 0" if row.array_layers > 1 else "")
        parts.append(f"<figure>{_img(p.file, p.width, p.height, f'texture {info.index}: {caption}')}<figcaption>{caption}</figcaption></figure>")
    parts.append("</div>")
    for p in card.pictures:
        if p.view == "mips":
            parts.append(f'<div class="mips">{_img(p.file, p.width, p.height, f"texture {info.index}: mip chain")}<br><span class="muted">mip chain, {row.mip_levels} levels</span></div>')
    facts = [("format", info.format_name), ("size", shape), ("mips", row.mip_levels), ("bytes", _bytes(row.size_bytes))]
    if info.normal_map:
        facts.append(("kind", "normal map"))
    if info.uses:
        links = ", ".join(f'<a href="#mat-{material_ids.get(m, 0)}">{_e(m)}</a> ({_e(s)})' for m, s in info.uses)
        facts.append(("used by", links))
    if info.sidecars:
        facts.append(("sidecars", ", ".join(info.sidecars)))
    for e in info.cook:
        cache = e.cache + (f" ({e.miss_reason})" if e.miss_reason else "")
        facts.append(("cooked from", f"{e.source} — preset {e.preset or '?'}, cache {cache or '?'}" + (", deduplicated" if e.deduplicated else "")))
        facts += [(name, f"{value:.2f}") for name, value in e.quality]
    if card.measured_psnr is not None:
        facts.append(("PSNR vs source (RGB as drawn)", _psnr(card.measured_psnr)))
    if card.source_file:
        facts.append(("source file", card.source_file))
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{v if k == 'used by' else _e(v)}</dd>" for k, v in facts)
    parts.append(f"<dl>{rows}</dl>")
    lines = [(d["severity"], f"{d['message']} ({d['code']})") for e in info.cook for d in e.diagnostics]
    lines += [("error" if p.startswith("error") else "warning", p) for p in info.problems]
    lines += [("warning", n) for n in card.notes]
    if lines:
        parts.append('<ul class="diag">' + "".join(f'<li class="{_e(s)}">{_e(t)}</li>' for s, t in lines) + "</ul>")
    parts.append("</article>")
    return "".join(parts)


def _material_card(k: int, material, cards: dict[int, Card]) -> str:
    search = " ".join([material.virtual_path, material.name, *(s for s, _ in material.slots)]).lower()
    parts = [f'<article class="card material" id="mat-{k}" data-search="{_e(search)}"><h3>{_e(material.virtual_path)}</h3>']
    if material.problem:
        parts.append(f'<p class="error">{_e(material.problem)}</p>')
    slots = []
    for slot, index in material.slots:
        card = cards.get(index)
        picture = next((p for p in card.pictures if p.view == "texture"), None) if card else None
        inner = _img(picture.file, 64, 64, f"{slot}: texture {index}") if picture else f'<div class="placeholder" style="width:64px;height:64px">row {index}</div>'
        slots.append(f'<div class="slot"><a href="#tex-{index}">{inner}</a><br>{_e(slot.removesuffix("_texture"))} [{index}]</div>')
    parts.append(f'<div class="slots">{"".join(slots)}</div>' if slots else '<p class="muted">no texture slots</p>')
    parts.append("</article>")
    return "".join(parts)


def render_page(facts: PageFacts, catalog: Catalog, cards: list[Card]) -> str:
    """The whole page: problems at the top, counts, the filter box, texture cards (in the order given), materials, geometry and scenes."""
    errors = sum(1 for s, _ in facts.violations if s == "error")
    warnings = len(facts.violations) - errors
    if not facts.recognized:
        result, ok = "NOT A CONTAINER", False
    else:
        result, ok = ("VALID", True) if facts.valid else (f"INVALID ({errors} error(s))", False)
    out = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>oxcook inspect: {_e(facts.root)}</title><style>{_CSS}</style></head><body>",
        '<pre id="script-errors" hidden></pre>',
        f'<header><h1>oxcook inspect</h1><div>{_e(facts.root)}</div><div class="result {"ok" if ok else "bad"}">result: {_e(result)}</div>',
    ]
    problems = list(facts.violations) + [("warning", p) for p in catalog.problems]
    if problems:
        items = "".join(f'<li class="{_e(s)}">{_e(t)}</li>' for s, t in problems)
        out.append(f'<section class="problems" id="problems"><strong>{errors} error(s), {warnings + len(catalog.problems)} warning(s)</strong><ul>{items}</ul></section>')
    materials = len(catalog.materials)
    geometry = sum(a.kind == "geometry" for a in catalog.assets)
    scenes = sum(a.kind == "scene" for a in catalog.assets)
    unreadable = sum(bool(c.error) for c in cards)
    counts = [f"{len(cards)} textures", f"{unreadable} unreadable" if unreadable else "", f"{materials} materials", f"{geometry} geometry", f"{scenes} scenes", f"{facts.buffers} buffers"]
    out.append('<div class="counts">' + "".join(f"<span>{_e(c)}</span>" for c in counts if c) + "</div>")
    if facts.report:
        order = "worst first: failed, warned, then lowest PSNR" if facts.sorted_worst_first else "row order"
        out.append(f'<div class="muted">cook report: {_e(facts.report)} — textures {order}</div>')
    out.append('<p><input id="filter" type="search" placeholder="filter: name, format, material, slot, failed, normal…" aria-label="filter"> <span id="shown" class="muted"></span></p></header><main>')
    material_ids = {m.virtual_path: k for k, m in enumerate(catalog.materials)}
    out.append(f'<h2 id="textures">Textures ({len(cards)})</h2><div class="grid">')
    drawn = [_texture_card(c, material_ids) for c in cards]
    out.extend(drawn[:FIRST_SCREEN])
    # every name in a card is escaped (no "<" of its own), so no "</script" or "<!--" can end or bend the chunk early
    out.extend(f'<script type="text/html" class="later">{"".join(drawn[k : k + CHUNK])}</script>' for k in range(FIRST_SCREEN, len(drawn), CHUNK))
    out.append('</div><div id="more-textures"></div>')
    by_index = {c.info.index: c for c in cards}
    out.append(f'<h2 id="materials">Materials ({materials})</h2><div class="grid">')
    out.extend(_material_card(k, m, by_index) for k, m in enumerate(catalog.materials))
    out.append("</div>")
    out.append(f'<h2 id="assets">Geometry ({geometry}) and scenes ({scenes})</h2>')
    if catalog.assets:
        rows = []
        for a in catalog.assets:
            counts_text = ", ".join(f"{n:,} {label}" for label, n in a.counts)
            rows.append(f'<tr data-search="{_e((a.kind + " " + a.virtual_path).lower())}"><td>{_e(a.kind)}</td><td>{_e(a.virtual_path)}</td><td>{_e(a.problem or counts_text)}</td></tr>')
        out.append("<table><tr><th>kind</th><th>virtual path</th><th>contents</th></tr>" + "".join(rows) + "</table>")
    out.append('</main><footer class="muted">Written by oxcook inspect --html. Add #filter=WORDS to the address to open it filtered, or #check to load every picture once and report the result here.<pre id="check"></pre></footer>')
    out.append(f"<script>{_SCRIPT}</script></body></html>\n")
    return "".join(out)
