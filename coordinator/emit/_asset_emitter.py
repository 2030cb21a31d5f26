"""``AssetEmitter``: descriptors (``.omat``, ``.ogeo``, ``.oscene``) registered for the index.

``emit`` seals the descriptor (SHA-256 content-hash patch, spec §4.4) and
returns its AssetKey at once; the session writes the files at finalize, each
through the writer's journal, so a re-import that replaces a descriptor can be
rolled back until the new index is committed.
"""

from __future__ import annotations

from oxcook.formats import AssetRecord, AssetType, LayoutError, asset_key_for, relative_path_problem, seal_descriptor, virtual_path_problem

from .._types import LooseCookedLayout


class AssetEmitter:
    def __init__(self, layout: LooseCookedLayout) -> None:
        self._layout = layout
        self.order: list[str] = []  # virtual paths in emission order (streaming is observable)
        self._records: dict[str, AssetRecord] = {}
        self._files: dict[str, bytes] = {}

    def __len__(self) -> int:
        return len(self._records)

    def emit(self, asset_type: AssetType, relpath: str, descriptor: bytes) -> bytes:
        """Register a descriptor at ``relpath``; returns its AssetKey.

        Raises:
            LayoutError: the path breaks the relative or canonical virtual-path rules.
        """
        virtual_path = self._layout.virtual_path(relpath)
        problem = relative_path_problem(relpath) or virtual_path_problem(virtual_path)
        if problem:
            raise LayoutError(f"descriptor path {relpath!r}: {problem}")
        sealed, sha = seal_descriptor(descriptor)
        key = asset_key_for(virtual_path)
        self._records[virtual_path] = AssetRecord(key, int(asset_type), relpath, virtual_path, len(sealed), sha)
        self._files[relpath] = sealed
        self.order.append(virtual_path)
        return key

    def count(self, asset_type: AssetType) -> int:
        return sum(1 for r in self._records.values() if r.asset_type == asset_type)

    def descriptor_files(self) -> dict[str, bytes]:
        """The sealed descriptors to write (relpath → bytes)."""
        return dict(self._files)

    def finalize(self) -> list[AssetRecord]:
        return list(self._records.values())
