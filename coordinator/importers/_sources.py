"""What to cook: files, folders and TOML manifests expanded into textures and scenes.

Decisions over paths (no reading of image bytes): which files are textures and
which are scenes, their stable ids, the preset each gets (file-name
conventions, overridable) and per-glob manifest options.

* A texture's id is its path relative to the common folder of all inputs, so
  ``colA/wall.png`` and ``colB/wall.png`` are two textures; two different files
  that would get one id are an error naming both.
* Folders are scanned recursively for textures (by extension) and for scenes
  (``.gltf``, ``.glb``, ``.fbx``, by content), each cooked once.
* Manifests (TOML): ``[defaults]`` and ``[[textures]]`` rules with a ``glob``
  relative to the manifest's folder (``*`` stays in one folder, ``**/`` matches
  zero or more folders). Settings apply in this order, later winning: the
  preset from the file name, ``[defaults]``, every matching rule in file
  order, the command line (:func:`merge_settings`, which also says where each
  setting came from: a texture's ``origins``). A file no rule matches is cooked with
  ``[defaults]`` and named in a warning (an error with ``--strict``).
  ``min_psnr`` and ``max_normal_error_deg`` are quality gates
  (:func:`check_gate`): they travel beside the descriptor, never in it.
* Only regular files are read: a FIFO, device or socket, or a symlink that
  leads outside its input folder or manifest folder, is refused as one failed
  texture (``texture-file-refused``); the rest of the batch cooks.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from oxcook.formats import Format, printable_name
from oxcook.worker import ImportDiagnostic, ImportSeverity
from oxcook.worker.cook import Bc7Quality, MipFilter, MipPolicy, TextureImportDesc, TexturePreset, detect_preset_from_filename, parse_preset, preset_desc

from .._errors import ConfigError, PathEscapesRoot
from .._types import TextureSettings, TextureSource
from ..emit import confined
from ._importer import SCENE_EXTENSIONS, SCENE_FORMATS, TEXTURE_EXTENSIONS, detect_format

FORMAT_NAMES = {
    "rgba8": Format.RGBA8_UNORM,
    "rgba8_srgb": Format.RGBA8_UNORM_SRGB,
    "bc7": Format.BC7_UNORM,
    "bc7_srgb": Format.BC7_UNORM_SRGB,
    "rgba16f": Format.RGBA16_FLOAT,
    "rgba32f": Format.RGBA32_FLOAT,
    "r8": Format.R8_UNORM,
    "rg8": Format.RG8_UNORM,
    "r16": Format.R16_UNORM,
    # valid containers, but the engine renders none of these (spec §2.2)
    "bc1": Format.BC1_UNORM,
    "bc1_srgb": Format.BC1_UNORM_SRGB,
    "bc3": Format.BC3_UNORM,
    "bc3_srgb": Format.BC3_UNORM_SRGB,
    "bc4": Format.BC4_UNORM,
    "bc5": Format.BC5_UNORM,
    "bc6h": Format.BC6H_UF16,
}
NOT_RENDERED = ("bc1", "bc1_srgb", "bc3", "bc3_srgb", "bc4", "bc5", "bc6h")
QUALITY_NAMES = {"fast": Bc7Quality.FAST, "default": Bc7Quality.DEFAULT, "balanced": Bc7Quality.DEFAULT, "high": Bc7Quality.HIGH, "best": Bc7Quality.HIGH}
FILTER_NAMES = {"box": MipFilter.BOX, "kaiser": MipFilter.KAISER, "lanczos": MipFilter.LANCZOS}
_SPELLING = {fmt: name for name, fmt in FORMAT_NAMES.items()}


def format_name(fmt: Format | int) -> str:
    """A format as the command line and manifests spell it (``bc7_srgb``), else its enum name."""
    return _SPELLING.get(fmt) or Format(fmt).name.lower()


def _lookup(table: dict, value: str, what: str):
    try:
        return table[value.strip().lower()]
    except KeyError:
        raise ConfigError(f"unknown {what} {value!r}; known: {', '.join(table)}") from None


def make_desc(source_id: str, settings: TextureSettings, default_preset: str | None = None) -> tuple[str, TextureImportDesc]:
    """The preset name and descriptor for one texture (pure).

    Args:
        source_id: the texture's stable id (its file name implies a preset).
        settings: user options; ``settings.preset`` beats ``default_preset``.
        default_preset: the preset when the user gave none (a scene slot's);
            ``None``: the file name decides.

    Raises:
        ConfigError: an unknown preset, format, mip policy, quality or filter.
    """
    try:
        preset = parse_preset(settings.preset or default_preset) if (settings.preset or default_preset) else detect_preset_from_filename(source_id)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    name, desc = _desc_for(preset, settings)
    return name, _with_id(desc, source_id)


_DESC_FIELDS = tuple(f.name for f in dataclasses.fields(TextureImportDesc) if f.name != "source_id")
_DESC_VALUES = operator.attrgetter(*_DESC_FIELDS)
_DESC_SLOTS = tuple(getattr(TextureImportDesc, name).__set__ for name in _DESC_FIELDS)  # its slots' setters
_SET_SOURCE_ID = TextureImportDesc.source_id.__set__


def _with_id(desc: TextureImportDesc, source_id: str) -> TextureImportDesc:
    """``dataclasses.replace(desc, source_id=source_id)`` without running ``__init__`` again: ``desc`` was made by it,
    and an id is any string (a cook makes one per texture)."""
    out = object.__new__(TextureImportDesc)
    for put, value in zip(_DESC_SLOTS, _DESC_VALUES(desc), strict=True):
        put(out, value)
    _SET_SOURCE_ID(out, source_id)
    return out


@functools.lru_cache(maxsize=256)
def _desc_for(preset: TexturePreset, settings: TextureSettings) -> tuple[str, TextureImportDesc]:
    """The preset's descriptor with ``settings`` applied, for a placeholder id (a project has a few presets and
    settings, and thousands of textures: each gets its own id on a copy)."""
    desc = preset_desc(preset, "")
    changes: dict = {}
    quality = _lookup(QUALITY_NAMES, settings.quality, "quality") if settings.quality else None
    if settings.format:
        fmt = _lookup(FORMAT_NAMES, settings.format, "format")
        changes["output_format"] = fmt
        is_bc7 = fmt in (Format.BC7_UNORM, Format.BC7_UNORM_SRGB)
        if is_bc7 and desc.bc7_quality == Bc7Quality.NONE:
            changes["bc7_quality"] = Bc7Quality.DEFAULT
        elif not is_bc7:
            changes["bc7_quality"] = Bc7Quality.NONE
    if quality is not None and (changes.get("output_format", desc.output_format) in (Format.BC7_UNORM, Format.BC7_UNORM_SRGB)):
        changes["bc7_quality"] = quality
    if settings.mips:
        value = settings.mips.strip().lower()
        if value == "none":
            changes["mip_policy"] = MipPolicy.NONE
        elif value == "full":
            changes["mip_policy"] = MipPolicy.FULL_CHAIN
        elif value.isdigit() and int(value) > 0:
            changes.update(mip_policy=MipPolicy.MAX_COUNT, max_mip_levels=int(value))
        else:
            raise ConfigError(f"mips must be none, full or a positive count, not {settings.mips!r}")
    if settings.filter:
        changes["mip_filter"] = _lookup(FILTER_NAMES, settings.filter, "mip filter")
    return preset.value, dataclasses.replace(desc, **changes)


def check_settings(settings: TextureSettings, where: str = "") -> None:
    """Refuse any unknown or out-of-range option before work starts.

    Raises:
        ConfigError: the first bad value, prefixed with ``where``.
    """
    try:
        make_desc("check.png", settings)
        for name in GATE_RANGES:
            if getattr(settings, name) is not None:
                check_gate(name, getattr(settings, name))
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}" if where else exc.message) from None


def _data_fallback_warning(source_id: str) -> ImportDiagnostic:
    return ImportDiagnostic(
        ImportSeverity.WARNING,
        "texture-preset-guessed",
        f"{source_id}: its name carries no preset hint, so it is cooked with the 'data' preset (uncompressed RGBA8, "
        "4x the size of BC7); name it like *_albedo, *_n, *_orm, or give --preset or a manifest rule",
        source_id,
    )


_SETTING_TYPES = {"preset": (str,), "format": (str,), "mips": (str, int), "quality": (str,), "filter": (str,), "min_psnr": (int, float), "max_normal_error_deg": (int, float)}
GATE_RANGES = {"min_psnr": (0.0, 200.0, "dB"), "max_normal_error_deg": (0.0, 180.0, "degrees")}  # (above, at most, unit)


def check_gate(name: str, value: object) -> float:
    """A quality gate's value, checked: a number above its range's floor and at most its ceiling.

    Raises:
        ConfigError: not a number, not finite, or out of range (naming the gate).
    """
    low, high, unit = GATE_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value <= high:
        raise ConfigError(f"{name} must be a number of {unit} above {low:g} and at most {high:g}, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class ManifestRule:
    number: int  # 1-based, in file order
    glob: str
    settings: TextureSettings


def merge_settings(layers: list[tuple[str, TextureSettings]]) -> tuple[TextureSettings, dict[str, str]]:
    """``layers`` (where, settings) applied in order, later winning, and where each setting set came from (pure).

    A value of ``None`` or ``""`` sets nothing, as in :meth:`TextureSettings.over`.
    """
    merged, origins = TextureSettings(), {}
    for where, settings in layers:
        origins.update({f.name: where for f in dataclasses.fields(settings) if getattr(settings, f.name) not in (None, "")})
        merged = settings.over(merged)
    return merged, {f.name: origins[f.name] for f in dataclasses.fields(TextureSettings) if f.name in origins}


def _settings(table: object, where: str, extra: frozenset[str] = frozenset()) -> TextureSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table, not {type(table).__name__}")
    keys = set(_SETTING_TYPES)
    bad = set(table) - keys - extra
    if bad:
        raise ConfigError(f"{where}: unknown keys {sorted(bad)}; known: {sorted(keys | extra)}")
    values = {}
    for key, value in table.items():
        if key in extra:
            continue
        if key in GATE_RANGES:
            try:
                values[key] = check_gate(key, value)
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc.message}") from None
            continue
        if isinstance(value, bool) or not isinstance(value, _SETTING_TYPES[key]):
            kinds = " or ".join("a string" if t is str else "a whole number" for t in _SETTING_TYPES[key])
            raise ConfigError(f"{where}: key {key!r} must be {kinds}, not {type(value).__name__} {value!r}")
        values[key] = str(value)
    settings = TextureSettings(**values)
    check_settings(settings, where)
    return settings


def _unclosed_bracket(glob: str) -> bool:
    """Whether a ``[`` of ``glob`` opens a character class that no ``]`` closes (wcmatch would match it as a
    literal ``[``, so the rule would silently match nothing). A ``]`` right after ``[`` or ``[!`` belongs to the class."""
    i = 0
    while i < len(glob):
        if glob[i] == "[":
            j = i + 1
            if j < len(glob) and glob[j] in "!^":
                j += 1
            if j < len(glob) and glob[j] == "]":
                j += 1
            close = glob.find("]", j)
            if close < 0:
                return True
            i = close
        i += 1
    return False


def parse_manifest(text: str, where: str) -> tuple[TextureSettings, list[ManifestRule]]:
    """A TOML manifest: ``[defaults]`` and ``[[textures]]`` tables with a ``glob`` each.

    Raises:
        ConfigError: not TOML, unknown sections or keys, values of the wrong type or
            out of range, a glob that is absolute or uses ``..``, or one with a ``[`` never closed (named by file, rule and key).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    unknown = set(data) - {"defaults", "textures"}
    if unknown:
        raise ConfigError(f"{where}: unknown sections {sorted(unknown)}; known: ['defaults', 'textures']")
    defaults = _settings(data.get("defaults", {}), f"{where}: [defaults]")
    tables = data.get("textures", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{where}: 'textures' must be an array of tables ([[textures]]), not {type(tables).__name__}")
    rules = []
    for i, table in enumerate(tables, start=1):
        what = f"{where}: [[textures]] rule {i}"
        if not isinstance(table, dict):
            raise ConfigError(f"{what}: must be a table, not {type(table).__name__}")
        glob = table.get("glob")
        if not isinstance(glob, str) or not glob:
            raise ConfigError(f"{what}: needs a glob (a string)")
        if glob.startswith("/") or ".." in PurePosixPath(glob).parts or "\\" in glob:
            raise ConfigError(f"{what}: glob {glob!r} must stay inside the manifest's folder")
        if _unclosed_bracket(glob):
            raise ConfigError(f"{what}: glob {glob!r} has a '[' that is never closed (write '[[]' for a literal '[')")
        rules.append(ManifestRule(i, glob, _settings(table, what, frozenset({"glob"}))))
    return defaults, rules


@dataclass
class SourceSet:
    """What a list of inputs expands to."""

    textures: list[TextureSource] = field(default_factory=list)  # each carries its own warnings (``notes``)
    scenes: list[Path] = field(default_factory=list)


def _refusal(path: Path, base: Path | None) -> str | None:
    """Why ``path`` may not be read, or ``None``: it must be a regular file, and (inside ``base``) not a symlink leading out of it."""
    try:
        st = os.lstat(path)  # one call for a file that is no link (most): its lstat is its stat
        link = stat.S_ISLNK(st.st_mode)
        mode = os.stat(path).st_mode if link else st.st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, device or socket is never read)"
    if base is not None and link:
        try:
            confined(base, os.path.relpath(path.resolve(), base.resolve()))
        except PathEscapesRoot:
            return f"a symlink to {path.resolve()}, outside {base}; oxcook reads nothing outside an input folder"
    return None


def _regular(path: Path, base: Path | None) -> Path:
    """``path`` if it may be read (see :func:`_refusal`).

    Raises:
        ConfigError: why not.
    """
    problem = _refusal(path, base)
    if problem is not None:
        raise ConfigError(f"{path}: {problem}")
    return path


def _suffix(name: str) -> str:
    """A file name's suffix, lower case, as ``PurePath.suffix`` takes it (``.png`` has none, ``..png`` is a PNG): a
    file found in a folder is known by the suffix it would be known by when named on its own."""
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def _walk(folder: Path, extensions: tuple[str, ...]) -> list[Path]:
    """The files under ``folder`` (not under a ``.oxcook`` folder, not through a linked folder) whose suffix is one of
    ``extensions``, in path order (as ``sorted`` orders paths: part by part)."""
    if ".oxcook" in folder.parts:
        return []
    found = []  # (path, its folder, its name)
    for top, dirs, names in os.walk(folder):  # a link to a folder is listed among the folders, and not walked
        dirs[:] = [d for d in dirs if d != ".oxcook"]
        found += [(os.path.join(top, name), top, name) for name in names if _suffix(name) in extensions]
    found.sort(key=lambda f: f[0].split(os.sep))
    tops: dict[str, Path] = {}  # a folder's path made once: a name joined to it is parsed alone
    return [(tops.get(top) or tops.setdefault(top, Path(top))) / name for _, top, name in found]


def _common_root(inputs: list[Path]) -> Path:
    folders = [p if p.is_dir() else p.parent for p in inputs]
    return Path(os.path.commonpath([str(f.resolve()) for f in folders])) if folders else Path(".")


def expand_sources(inputs: list[Path], cli: TextureSettings, *, strict: bool = False) -> SourceSet:
    """Every texture and scene the inputs name, with each texture's settings.

    Raises:
        ConfigError: a missing input, an unknown option, a manifest problem, a
            file that is not regular or leads outside its folder, two files with
            one id, or (``strict``) a manifest file that no rule matches.
    """
    out = SourceSet()
    by_id: dict[str, Path] = {}
    root = _common_root([Path(p) for p in inputs if Path(p).is_dir() or Path(p).suffix.lower() in TEXTURE_EXTENSIONS + (".toml",)])

    folders: dict[str, str] = {}  # a folder as given -> its resolved path relative to the root, "/"-separated ("" for the root)
    merged_for: dict[tuple, tuple[TextureSettings, dict[str, str]]] = {}  # a project has a few layerings, each merged once

    def add(path: Path, layers: list[tuple[str, TextureSettings]], notes: tuple[ImportDiagnostic, ...] = (), base: Path | None = None) -> None:
        folder, _, name = os.fspath(path).rpartition(os.sep)
        prefix = folders.get(folder)
        if prefix is None:
            rel = os.path.relpath(path.absolute().parent.resolve(), root).replace(os.sep, "/")
            prefix = folders[folder] = "" if rel == "." else rel + "/"
        source_id = printable_name(prefix + name)
        problem = _refusal(path, base)
        if problem is not None:  # one unreadable file fails as one texture, never the batch
            notes += (ImportDiagnostic(ImportSeverity.ERROR, "texture-file-refused", f"{source_id}: {problem}", source_id),)
        other = by_id.get(source_id)
        if other is not None:
            if other.resolve() != path.resolve():
                raise ConfigError(f"{other} and {path} would both be cooked as {source_id!r}; cook them into different roots or rename one")
            return
        by_id[source_id] = path
        layering = (*layers, ("command line", cli))
        if layering not in merged_for:
            merged_for[layering] = merge_settings(list(layering))
        merged, origins = merged_for[layering]
        preset, desc = make_desc(source_id, merged)
        origins = {"preset": "file name", **origins}  # the name implies it unless a setting names one
        if not merged.preset and preset == TexturePreset.DATA.value and problem is None:
            notes += (_data_fallback_warning(source_id),)
        notes = tuple(dataclasses.replace(n, source_id=source_id) for n in notes)
        out.textures.append(TextureSource(source_id, (path,), desc, preset, notes=notes, gates=merged.gates(), origins=origins))

    for raw in inputs:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise ConfigError(f"{path}: no such file or folder")
        if path.is_dir():
            for file in _walk(path, TEXTURE_EXTENSIONS):
                add(file, [], base=path)
            for file in _walk(path, SCENE_EXTENSIONS):
                if _refusal(file, path) is None and file not in out.scenes:
                    out.scenes.append(file)  # a broken scene is the importer's to name (scene-invalid), not a reason to stop
        elif path.suffix.lower() == ".toml":
            _expand_manifest(_regular(path, None), add, strict)
        elif path.suffix.lower() in TEXTURE_EXTENSIONS:
            add(path, [])
        elif detect_format(_regular(path, None)) in SCENE_FORMATS:
            if path not in out.scenes:
                out.scenes.append(path)
        else:
            raise ConfigError(f"{path}: not a texture ({', '.join(TEXTURE_EXTENSIONS)}), scene ({', '.join(SCENE_EXTENSIONS)}), folder or .toml manifest")
    return out


def _expand_manifest(path: Path, add, strict: bool) -> None:
    try:
        defaults, rules = parse_manifest(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read manifest: {exc}") from None
    from wcmatch import glob as wcglob  # ~20 ms to import: only for a manifest

    base = path.parent
    for file in _walk(base, TEXTURE_EXTENSIONS):
        rel = file.relative_to(base).as_posix()
        matched = [r for r in rules if wcglob.globmatch(rel, r.glob, flags=wcglob.GLOBSTAR | wcglob.DOTGLOB)]
        notes = ()
        if rules and not matched:
            message = f"{path}: no [[textures]] rule matches {rel}; cooked with [defaults]"
            if strict:
                raise ConfigError(message + " (--strict)")
            notes = (ImportDiagnostic(ImportSeverity.WARNING, "manifest-unmatched", message, rel),)
        layers = [(f"{path} [defaults]", defaults), *((f'{path} rule {r.number} (glob "{r.glob}")', r.settings) for r in matched)]
        add(file, layers, notes, base=base)
