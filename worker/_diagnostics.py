"""``ImportDiagnostic`` and ``ImportSeverity``: what a cook reports besides its output.

Defined here, at the bottom of the compute side, because workers produce them
and they cross the wire as plain data; the coordinator re-exports these types
rather than defining its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ImportSeverity(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class ImportDiagnostic:
    """One message about one source.

    Attributes:
        severity: how bad it is.
        code: a stable kebab-case code (``texture-decode-failed``, ``texture-nonfinite-clamped``).
        message: human text; names the source (but in what a cook says of its source: :meth:`about` names it).
        source_id: the source it is about ("" for job-level messages, and in what a cook says of its source).
    """

    severity: ImportSeverity
    code: str
    message: str
    source_id: str = ""

    def about(self, source_id: str) -> "ImportDiagnostic":
        """This diagnostic about ``source_id``: its message names it (what a cook says of its source names none)."""
        return ImportDiagnostic(self.severity, self.code, f"{source_id}: {self.message}", source_id)

    def to_dict(self) -> dict[str, str]:
        return {"severity": self.severity.value, "code": self.code, "message": self.message, "source_id": self.source_id}

    @classmethod
    def from_dict(cls, data: dict) -> "ImportDiagnostic":
        return cls(ImportSeverity(data["severity"]), str(data["code"]), str(data["message"]), str(data.get("source_id", "")))

    def __str__(self) -> str:
        return f"{self.severity.value}: {self.message} ({self.code})"
