"""Looking at a cooked root: ``oxcook inspect``'s summary, its ``--html`` page and ``--export``.

Rooms inside: ``_summary`` (the root's counts, validation and stale bytes, as a
table or JSON), ``_decode`` (a row's payload to texels; the one door to the block
decoder), ``_views`` (texels to what a person looks at: tone mapping, alpha, lit
normals, error heatmaps; pure), ``_png`` (the one door to Pillow), ``_catalog``
(descriptors, sidecars and report entries joined per row), ``_cook_report`` (the
``cook --report`` JSON, read defensively), ``_album`` (one texture's pictures),
``_page`` (the HTML; pure), ``_html`` and ``_export`` (the two commands' work).

Names are bound on first use: the summary loads no decoder, numpy or Pillow.
"""

from oxcook import _lazy

_LAZY = {
    "CookReport": "._cook_report",
    "read_cook_report": "._cook_report",
    "export_texture": "._export",
    "HtmlResult": "._html",
    "write_html": "._html",
    "inspect_root": "._summary",
    "render_summary": "._summary",
    "summary_dict": "._summary",
}

__getattr__, __dir__ = _lazy.lazy_names(globals(), _LAZY)

__all__ = ["CookReport", "HtmlResult", "export_texture", "inspect_root", "read_cook_report", "render_summary", "summary_dict", "write_html"]
