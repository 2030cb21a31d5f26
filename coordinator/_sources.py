"""What to cook: files, folders and TOML manifests expanded into ``TextureSource`` items.

Pure decisions over paths (no reading of image bytes): which files are
textures, their stable ids, the preset each gets (file-name conventions,
overridable) and per-glob manifest options. Manifest globs are resolved inside
the manifest's folder and never escape it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from formats import Format
from worker import Bc7Quality, MipFilter, MipPolicy, TextureImportDesc, detect_preset_from_filename, parse_preset, preset_desc

from ._cooked_root import confined
from ._errors import ConfigError, PathEscapesRoot
from ._types import TextureSettings, TextureSource

TEXTURE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tga", ".bmp", ".gif", ".dds", ".hdr", ".exr")


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


def _lookup(table: dict, value: str, what: str):
    try:
        return table[value.strip().lower()]
    except KeyError:
        raise ConfigError(f"unknown {what} {value!r}; known: {', '.join(table)}") from None


def make_desc(source_id: str, settings: TextureSettings) -> tuple[str, TextureImportDesc]:
    """The preset name and descriptor for one texture (pure).

    Raises:
        ConfigError: an unknown preset, format, mip policy, quality or filter.
    """
    try:
        preset = parse_preset(settings.preset) if settings.preset else detect_preset_from_filename(source_id)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    desc = preset_desc(preset, source_id)
    changes: dict = {}
    if settings.format:
        fmt = _lookup(FORMAT_NAMES, settings.format, "format")
        changes["output_format"] = fmt
        is_bc7 = fmt in (Format.BC7_UNORM, Format.BC7_UNORM_SRGB)
        if is_bc7 and desc.bc7_quality == Bc7Quality.NONE:
            changes["bc7_quality"] = Bc7Quality.DEFAULT
        elif not is_bc7:
            changes["bc7_quality"] = Bc7Quality.NONE
    if settings.quality and (changes.get("output_format", desc.output_format) in (Format.BC7_UNORM, Format.BC7_UNORM_SRGB)):
        changes["bc7_quality"] = _lookup(QUALITY_NAMES, settings.quality, "quality")
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


@dataclass(frozen=True)
class ManifestRule:
    glob: str
    settings: TextureSettings


def parse_manifest(text: str, where: str) -> tuple[TextureSettings, list[ManifestRule]]:
    """A TOML manifest: ``[defaults]`` and ``[[textures]]`` tables with a ``glob`` each.

    Raises:
        ConfigError: not TOML, unknown keys, or a glob that is absolute or uses ``..``.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    keys = {f.name for f in dataclasses.fields(TextureSettings)}
    unknown = set(data) - {"defaults", "textures"}
    if unknown:
        raise ConfigError(f"{where}: unknown sections {sorted(unknown)}")

    def settings(table: dict, what: str, extra: set[str] = frozenset()) -> TextureSettings:
        bad = set(table) - keys - extra
        if bad:
            raise ConfigError(f"{where}: {what}: unknown keys {sorted(bad)}; known: {sorted(keys | extra)}")
        return TextureSettings(**{k: str(v) for k, v in table.items() if k in keys})

    defaults = settings(data.get("defaults", {}), "[defaults]")
    rules = []
    for i, table in enumerate(data.get("textures", [])):
        glob = table.get("glob")
        if not isinstance(glob, str) or not glob:
            raise ConfigError(f"{where}: [[textures]] #{i + 1} needs a glob")
        if glob.startswith("/") or ".." in PurePosixPath(glob).parts or "\\" in glob:
            raise ConfigError(f"{where}: glob {glob!r} must stay inside the manifest's folder")
        rules.append(ManifestRule(glob, settings(table, f"[[textures]] #{i + 1}", {"glob"})))
    return defaults, rules


def _texture_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in TEXTURE_EXTENSIONS and ".oxcook" not in p.parts)


def expand_sources(inputs: list[Path], cli: TextureSettings) -> list[TextureSource]:
    """Every texture the inputs name, with its settings (CLI options override manifests).

    Raises:
        ConfigError: a missing input, an unknown option, or a manifest problem.
    """
    found: dict[str, TextureSource] = {}

    def add(path: Path, base: Path, settings: TextureSettings) -> None:
        source_id = path.relative_to(base).as_posix() if path != base else path.name
        preset, desc = make_desc(source_id, cli.over(settings))
        found[source_id] = TextureSource(source_id, (path,), desc, preset)

    for raw in inputs:
        path = Path(raw)
        if not path.exists():
            raise ConfigError(f"{path}: no such file or folder")
        if path.is_dir():
            for file in _texture_files(path):
                add(file, path, TextureSettings())
        elif path.suffix.lower() == ".toml":
            try:
                defaults, rules = parse_manifest(path.read_text(encoding="utf-8"), str(path))
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: cannot read manifest: {exc}") from None
            base = path.parent
            for file in _texture_files(base):
                rel = file.relative_to(base).as_posix()
                matched = [r.settings for r in rules if fnmatch.fnmatch(rel, r.glob)]
                if not rules or matched:
                    try:
                        confined(base, rel)
                    except PathEscapesRoot as exc:
                        raise ConfigError(str(exc)) from None
                    merged = defaults
                    for s in matched:
                        merged = s.over(merged)
                    add(file, base, merged)
        elif path.suffix.lower() in TEXTURE_EXTENSIONS:
            add(path, path.parent, TextureSettings())
        else:
            raise ConfigError(f"{path}: not a texture ({', '.join(TEXTURE_EXTENSIONS)}), folder or .toml manifest")
    return list(found.values())
