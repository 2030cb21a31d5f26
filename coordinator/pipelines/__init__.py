"""Pipelines: pure compute through a backend, bounded windows, results in completion order (seed §2)."""

from ._mesh_pipeline import MeshPipeline as MeshPipeline
from ._mesh_pipeline import MeshWorkItem as MeshWorkItem
from ._mesh_pipeline import MeshWorkResult as MeshWorkResult
from ._pipeline import ResourcePipeline as ResourcePipeline
from ._texture_pipeline import TexturePipeline as TexturePipeline
from ._texture_pipeline import TextureWorkItem as TextureWorkItem
from ._texture_pipeline import TextureWorkResult as TextureWorkResult
from ._verify import ResultVerifier as ResultVerifier

__all__ = ["MeshPipeline", "MeshWorkItem", "MeshWorkResult", "ResourcePipeline", "ResultVerifier", "TexturePipeline", "TextureWorkItem", "TextureWorkResult"]
