"""Pure compute that runs on any machine: texture cooking stages (no file I/O)."""

__all__: list[str] = []
