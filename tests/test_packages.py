"""Package boundaries: public names pinned, dependencies point one way, nobody reaches into another's privates."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from oxcook import coordinator
from oxcook import formats
from oxcook import worker
from oxcook.worker import cache as worker_cache
from oxcook.worker import cook as worker_cook
from oxcook.worker import wire as worker_wire

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("formats", "worker", "coordinator")

# The public surface of each package, pinned: a change here is an API change, made on purpose.
# oxcook.worker's rooms: the shared core, and cook, wire, cache (farm's modules are loaded by name).
WORKER_PUBLIC = {
    "COOKER_VERSION", "default_encoder_target", "failpoint", "ImportDiagnostic", "ImportSeverity",
    "pool_process_init", "run_in_pool_process", "run_work", "TextureCancelled", "TextureImportError",
    "TextureImportErrorCode",
}  # fmt: skip
WORKER_COOK_PUBLIC = {
    "apply_content_processing", "apply_preset", "BAND_ROWS", "BC7_PROFILES", "Bc7Quality", "build_mesh_buffers",
    "ColorSpace", "convert_to_output_format", "convert_to_working_format", "cook_cost", "cook_estimate_s",
    "cook_texture", "cook_texture_layers", "CookedTexture", "decode_blocks", "decode_source", "DECODED_CHANNELS",
    "DecoderError", "DEFAULT_MAX_DIMENSION",
    "DEFAULT_TARGET", "detect_preset_from_filename", "distinct_blocks", "encode_blocks", "encoder_input",
    "encoder_target", "ENUM_FIELDS", "generate_mips", "HEADER_BYTES", "image_size", "join_texture_parts",
    "memory_budget", "MeshBuffers", "mip_levels_for", "MipFilter", "MipPolicy", "pack_subresources", "parse_preset",
    "parse_size", "plan_cook", "preset_desc", "quality_figures", "QualityFigures", "QualitySums", "share_of_machine",
    "sniff_format", "split_bands", "split_worth", "supported_encoder_targets", "TextureImportDesc", "TextureIntent",
    "TexturePreset", "validate_pre_decode",
}  # fmt: skip
WORKER_WIRE_PUBLIC = {
    "answer", "decode", "encode", "encoded", "error_result", "MAX_CHUNK_ITEMS", "MAX_PARTS", "MeshResult", "MeshWork", "peek_version",
    "Result", "RESULT_FOR", "TextureChunk", "TextureResult", "TextureWork", "WIRE_VERSION", "WireError", "Work",
    "WorkRef",
}  # fmt: skip
WORKER_CACHE_PUBLIC = {
    "CacheKey", "CorruptEntry", "FolderTier", "lacks_quality", "MAX_ENTRY_BYTES", "mesh_key", "miss_reason",
    "open_shared_tier", "pack_entry", "read_cache_file", "read_entry", "texture_key", "unpack_entry", "write_atomically",
    "OutdatedEntry", "UnusableEntry",
}  # fmt: skip
COORDINATOR_PUBLIC = {
    "AssetEmitter", "AssetImporter", "AsyncImporter", "BackendError", "BufferEmitter", "ComputeBackend", "Config",
    "ConfigError", "CookedRootFiles", "DirectDispatcher", "ImportDiagnostic", "ImportFormat", "ImportJobId",
    "ImportOptions", "ImportPhase", "ImportProgress", "ImportReport", "ImportRequest", "ImportService",
    "ImportSession", "ImportSeverity", "Importer", "JobContext", "JobScope", "LocalBackend", "LooseCookedLayout",
    "LooseCookedWriter", "MeshPipeline", "MeshWorkItem", "MeshWorkResult", "OutputWriteError", "PathEscapesRoot",
    "PipelineProgress", "QueueDispatcher", "RangeAllocator", "ResourcePipeline", "ResourceTable", "RootLockedError",
    "RootUnusableError", "SceneError", "SceneTooLarge", "ServiceClosedError", "SessionClosedError", "TextureOutput",
    "TextureImportRequest", "TexturePipeline", "TextureSetImporter", "TextureSettings", "TextureSource",
    "TextureWorkItem", "TextureWorkResult", "confined", "detect_format", "expand_sources", "inspect_root",
    "open_backend", "recover_root", "result_estimate", "summary_dict", "WorkerResultMismatch",
}  # fmt: skip


@pytest.mark.parametrize("package", [formats, worker, worker_cook, worker_wire, worker_cache, coordinator])
def test_all_lists_exactly_the_public_names(package):
    public = {n for n in dir(package) if not n.startswith("_")}  # coordinator binds its names on first use: dir() lists them
    modules = {n for n in public if type(getattr(package, n)) is type(sys)}
    assert set(package.__all__) == public - modules


@pytest.mark.parametrize(
    "package, pinned",
    [(worker, WORKER_PUBLIC), (worker_cook, WORKER_COOK_PUBLIC), (worker_wire, WORKER_WIRE_PUBLIC), (worker_cache, WORKER_CACHE_PUBLIC), (coordinator, COORDINATOR_PUBLIC)],
)
def test_public_names_are_pinned(package, pinned):
    assert set(package.__all__) == pinned


@pytest.mark.parametrize(
    "package, forbidden",
    [("formats", ("oxcook.worker", "oxcook.coordinator", "celery", "numpy", "PIL")), ("worker", ("oxcook.coordinator",))],
)
def test_dependencies_point_one_way(package, forbidden):
    code = f"import sys, oxcook.{package}; print(' '.join(sorted(m for m in sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    for name in forbidden:
        assert name not in loaded, f"{package} imports {name}"


def test_importing_worker_leaves_pillow_alone():
    code = "from PIL import Image; before = Image.MAX_IMAGE_PIXELS; from oxcook import worker; print(Image.MAX_IMAGE_PIXELS == before)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "True"


def _imports(path: Path):
    """(module imported, line) for every absolute import in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno
            yield from ((f"{node.module}.{alias.name}", node.lineno) for alias in node.names)


def _sources(folder: str):
    return sorted(p for p in (REPO / folder).rglob("*.py") if ".venv" not in p.parts)


@pytest.mark.parametrize("folder", ["formats", "worker", "coordinator", "bench", "tests"])
def test_no_import_of_another_packages_private_modules(folder):
    """Packages meet only at each other's public names (style rule 2); bench uses no test code; nothing imports
    the three folders by their top-level names (they are installed as ``oxcook.*``; tests reach inside freely)."""
    home = folder if folder in PACKAGES else None
    offences = []
    for path in _sources(folder):
        for module, line in _imports(path):
            parts = module.split(".")
            if parts[0] == "tests" and folder != "tests":
                offences.append(f"{path.relative_to(REPO)}:{line} imports {module}")
            if parts[0] in PACKAGES:
                offences.append(f"{path.relative_to(REPO)}:{line} imports {module} outside the oxcook package")
            parts = parts[1:] if parts[0] == "oxcook" and folder != "tests" else []
            if parts and parts[0] in PACKAGES and parts[0] != home and any(p.startswith("_") for p in parts[1:]):
                offences.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("package", ["worker", "coordinator"])
def test_rooms_meet_through_their_doors(package):
    """Inside a package, a room's private modules are imported only from within that room."""
    rooms = {p.name for p in (REPO / package).iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    offences = []
    for path in _sources(package):
        here = path.relative_to(REPO / package).parts
        room = here[0] if len(here) > 1 else None
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.level or not node.module:
                continue
            parts = node.module.split(".")
            # resolve the relative import to a path inside the package
            base = list(here[:-1])[: len(here) - node.level]
            target = base + parts
            if target and target[0] in rooms and target[0] != room and len(target) > 1 and target[1].startswith("_"):
                offences.append(f"{package}/{'/'.join(here)}:{node.lineno} imports {'.'.join(target)}")
    assert rooms and not offences, "\n".join(offences)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel ``pip install .`` builds, from a copy of what the repository tracks (a checkout's stale
    ``build/`` folder would otherwise be packed in as well)."""
    out, tree = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md", *PACKAGES, "oxcook"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tree / name)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(tree)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (built,) = out.glob("oxcook-*.whl")
    return built


def test_the_installed_package_holds_every_module_of_the_tree(wheel):
    """``pip install .`` (the README's first command, and the Docker image) installs what setuptools puts in
    the wheel: a subpackage missing there is a ModuleNotFoundError on a user's first ``oxcook cook``, while the
    editable install the tests run from still finds it in the tree."""
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py")}
    tree = {f"oxcook/{p.relative_to(REPO).as_posix()}" for package in PACKAGES for p in (REPO / package).rglob("*.py")}
    tree |= {f"oxcook/{p.name}" for p in (REPO / "oxcook").glob("*.py")}
    assert tree - shipped == set()


def test_installing_adds_one_name_to_site_packages_and_both_commands_run_from_it(wheel, tmp_path):
    """Another distribution's ``worker`` or ``formats`` package cannot collide with ours: only ``oxcook`` is installed."""
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)], capture_output=True, text=True, timeout=300
    )
    assert install.returncode == 0, install.stderr
    top = {p.name for p in target.iterdir()} - {"bin"}
    assert top == {"oxcook", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import oxcook.coordinator as c; print(c.__file__)"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip().startswith(str(target)), where.stderr
    for command in ([sys.executable, "-m", "oxcook", "--version"], [str(target / "bin" / "oxcook"), "--version"]):
        ran = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0 and "oxcook" in ran.stdout + ran.stderr, (command, ran.stderr)


def test_no_dead_code():
    """What vulture is sure of (80 % confidence and up) is gone: an unused function, import, field or variable."""
    found = subprocess.run(
        [sys.executable, "-m", "vulture", "--min-confidence", "80", *(str(REPO / p) for p in (*PACKAGES, "oxcook"))], capture_output=True, text=True, timeout=120
    )
    assert found.returncode == 0 and found.stdout == "", found.stdout + found.stderr


def test_the_installed_package_cooks_from_the_checkout_s_own_folder(wheel, tmp_path):
    """Run where a newcomer runs it — the repository's root, whose own ``oxcook/`` folder comes first on the path of
    the command and of the pool's processes — the installed package still cooks the bundled sample."""
    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    # -S: no site processing, so no .pth file installs the editable finder of the tests' own environment (a user's
    # `pip install .` has none); the dependencies are found on PYTHONPATH, and the pool's processes inherit both
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]]), "OXCOOK_NO_CACHE": "1"}
    ran = subprocess.run(
        [sys.executable, "-S", "-m", "oxcook", "cook", "samples/textures", "-o", str(tmp_path / "out"), "--progress", "none", "--quality", "fast"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert ran.returncode == 0 and "Traceback" not in ran.stderr, ran.stderr
    assert "5/5 textures cooked" in ran.stderr, ran.stderr
