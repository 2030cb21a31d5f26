"""The messages between coordinator and workers: work in, results out, declared in one module
(``_messages``), msgpack-encoded, never pickled. A worker of another wire version is refused.
"""

from oxcook import _lazy

# public name -> the module that defines it (or (module, its name there))
_EXPORTS: dict[str, str | tuple[str, str]] = {
    "decode": "._messages",
    "encode": "._messages",
    "encoded": "._messages",
    "error_result": "._messages",
    "MAX_CHUNK_ITEMS": "._messages",
    "MAX_PARTS": "._messages",
    "MeshResult": "._messages",
    "MeshWork": "._messages",
    "peek_version": "._messages",
    "Result": "._messages",
    "RESULT_FOR": "._messages",
    "TextureChunk": "._messages",
    "TextureResult": "._messages",
    "answer": "._messages",
    "TextureWork": "._messages",
    "WIRE_VERSION": "._messages",
    "WireError": "._messages",
    "Work": "._messages",
    "WorkRef": "._messages",
}

__getattr__, __dir__ = _lazy.lazy_names(globals(), _EXPORTS)

__all__ = [
    "answer",
    "decode",
    "encode",
    "encoded",
    "error_result",
    "MAX_CHUNK_ITEMS",
    "MAX_PARTS",
    "MeshResult",
    "MeshWork",
    "peek_version",
    "Result",
    "RESULT_FOR",
    "TextureChunk",
    "TextureResult",
    "TextureWork",
    "WIRE_VERSION",
    "WireError",
    "Work",
    "WorkRef",
]
