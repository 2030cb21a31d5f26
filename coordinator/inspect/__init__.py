"""Pictures of a cooked root: the ``--html`` page and ``--export`` of ``oxcook inspect``.

Rooms inside: ``_decode`` (a row's payload to texels; the one door to the block
decoder), ``_views`` (texels to what a person looks at: tone mapping, alpha, lit
normals, error heatmaps; pure), ``_png`` (the one door to Pillow), ``_catalog``
(descriptors, sidecars and report entries joined per row), ``_cook_report`` (the
``cook --report`` JSON, read defensively), ``_album`` (one texture's pictures),
``_page`` (the HTML; pure), ``_html`` and ``_export`` (the two commands' work).
"""

from ._cook_report import CookReport as CookReport
from ._cook_report import read_cook_report as read_cook_report
from ._export import export_texture as export_texture
from ._html import HtmlResult as HtmlResult
from ._html import write_html as write_html

__all__ = ["CookReport", "HtmlResult", "export_texture", "read_cook_report", "write_html"]
