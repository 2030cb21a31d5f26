"""Emission: the session, the emitters, and everything that touches the cooked root's files.

``ImportSession`` hands out the texture output (``_texture_output``: a packer and a writer, the
engine's loose-cooked container by default) and the emitters (buffer, asset); they reserve
rows and 256-aligned ranges at once (pure allocation in ``_allocation``) and
write payloads by position (``_file_io``); ``LooseCookedWriter`` owns the root:
its lock, the crash journal, repair, and the index written last, then the
build record naming it (``_record_file``).
"""

from ._allocation import RangeAllocator as RangeAllocator
from ._allocation import ResourceTable as ResourceTable
from ._asset_emitter import AssetEmitter as AssetEmitter
from ._buffer_emitter import BufferEmitter as BufferEmitter
from ._compact import compact_root as compact_root
from ._compact import stale_bytes as stale_bytes
from ._cooked_root import CookedRootFiles as CookedRootFiles
from ._cooked_root import confined as confined
from ._journal import JOURNAL_FILE as JOURNAL_FILE
from ._journal import CookJournal as CookJournal
from ._journal import RootLock as RootLock
from ._journal import read_journal as read_journal
from ._journal import recover_root as recover_root
from ._journal import unlocked_view as unlocked_view
from ._record_file import RECORD_FILE as RECORD_FILE
from ._record_file import LoadedRecord as LoadedRecord
from ._record_file import cook_versions as cook_versions
from ._record_file import load_record as load_record
from ._record_file import stamp_from as stamp_from
from ._record_file import stamp_of as stamp_of
from ._session import ImportSession as ImportSession
from ._session import SessionClosedError as SessionClosedError
from ._loose_textures import LooseCookedTextures as LooseCookedTextures
from ._loose_textures import loose_cooked_textures as loose_cooked_textures
from ._texture_output import FALLBACK_INDEX as FALLBACK_INDEX
from ._texture_output import EnginePacker as EnginePacker
from ._texture_output import PackedTexture as PackedTexture
from ._texture_output import TextureOutput as TextureOutput
from ._texture_output import TextureOutputFactory as TextureOutputFactory
from ._texture_output import TexturePacker as TexturePacker
from ._texture_output import TextureWriter as TextureWriter
from ._writer import LooseCookedWriter as LooseCookedWriter

__all__ = [
    "CookJournal",
    "FALLBACK_INDEX",
    "JOURNAL_FILE",
    "RECORD_FILE",
    "AssetEmitter",
    "BufferEmitter",
    "CookedRootFiles",
    "ImportSession",
    "LoadedRecord",
    "LooseCookedWriter",
    "RangeAllocator",
    "ResourceTable",
    "RootLock",
    "SessionClosedError",
    "EnginePacker",
    "LooseCookedTextures",
    "PackedTexture",
    "TextureOutput",
    "TextureOutputFactory",
    "TexturePacker",
    "TextureWriter",
    "loose_cooked_textures",
    "compact_root",
    "confined",
    "cook_versions",
    "load_record",
    "read_journal",
    "recover_root",
    "stamp_from",
    "stamp_of",
    "unlocked_view",
    "stale_bytes",
]
