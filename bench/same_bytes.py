"""Check: this checkout cooks the same bytes as another one (a performance change must not change a byte).

Cooks every shared image outside ``bad/`` (and a few odd shapes made here: odd
sizes, grey, grey + alpha, RGBA, 16-bit, a cut-out) with every preset at fast
quality, four presets at default quality, and 3-part splits of the large
files, in-process with the worker's ``cook_texture`` — once with this checkout's
``worker`` and once with ``--against``'s, each in its own processes — and
compares the payloads' SHA-256. A cook that raises anything but a
``TextureImportError`` is reported as a crash (oxcook must refuse, not fail).

Run: ``python bench/same_bytes.py --against /tmp/base`` (e.g. after ``git worktree add /tmp/base HEAD~1``)
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import subprocess
import sys
import tempfile
from multiprocessing import Pool
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SUFFIXES = (".png", ".jpg", ".jpeg", ".exr", ".hdr", ".bmp", ".tga", ".gif", ".dds", ".tif", ".tiff")
PRESETS = ("albedo", "albedo-alpha-test", "albedo-linear", "normal", "roughness", "metallic", "ao", "orm", "emissive", "ui", "hdr-env", "hdr-env-32f", "hdr-probe", "data", "height")
DEFAULT_QUALITY = ("albedo", "normal", "orm", "albedo-alpha-test")


def odd_shapes(out: Path) -> list[Path]:
    import imagecodecs
    from PIL import Image

    rng = np.random.default_rng(7)

    def smooth(h: int, w: int, c: int) -> np.ndarray:
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([np.sin(x / 17.0 + k) * np.cos(y / 23.0 - k) * 0.5 + 0.5 for k in range(c)], -1)
        return np.clip(base * 255 + rng.normal(0, 6, (h, w, c)), 0, 255).astype(np.uint8)

    Image.fromarray(smooth(259, 517, 3)).save(out / "odd_rgb.png")
    Image.fromarray(smooth(200, 300, 4)).save(out / "rgba.png")
    Image.fromarray(smooth(333, 250, 1)[..., 0]).save(out / "grey.png")
    Image.fromarray(smooth(128, 512, 2), "LA").save(out / "grey_alpha.png")
    Image.fromarray(smooth(512, 512, 3)).save(out / "rgb512.jpg", quality=90)
    cutout = smooth(300, 400, 4)
    cutout[..., 3] = np.where(cutout[..., 3] > 128, 255, 0)
    Image.fromarray(cutout).save(out / "cutout.png")
    Image.fromarray(smooth(96, 160, 3)).save(out / "small.bmp")
    (out / "rgb16.png").write_bytes(imagecodecs.png_encode(smooth(130, 190, 3).astype(np.uint16) * 257 + rng.integers(0, 200, (130, 190, 3)).astype(np.uint16)))
    return sorted(out.iterdir())


_WORKER = None  # the worker package of the checkout a child cooks with


def _load_worker(tree: Path):
    """``tree``'s worker package, whichever layout the checkout has: installed as ``oxcook.worker`` (loaded here
    from the tree's own folders, not from whatever oxcook this interpreter has installed), or top-level ``worker``."""
    import importlib
    import importlib.util
    import types

    if not (tree / "oxcook").is_dir():
        sys.path.insert(0, str(tree))
        return importlib.import_module("worker")
    sys.modules["oxcook"] = package = types.ModuleType("oxcook")
    package.__path__ = []
    for name in ("formats", "worker"):
        spec = importlib.util.spec_from_file_location(f"oxcook.{name}", tree / name / "__init__.py", submodule_search_locations=[str(tree / name)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        setattr(package, name, module)
    return sys.modules["oxcook.worker"]


def _cook_room(worker) -> tuple:
    """The worker's ``cook`` room, where the checkout has one."""
    import importlib

    try:
        return (importlib.import_module(worker.__name__ + ".cook"),)
    except ImportError:
        return ()


def _cook(job: tuple[str, str, str, int]) -> str:
    rooms = (*_cook_room(_WORKER), _WORKER)  # the cook's names: in the worker's ``cook`` room where it has one
    Bc7Quality, TextureImportError, cook_texture, join_texture_parts, preset_desc = (
        next(getattr(room, name) for room in rooms if hasattr(room, name)) for name in ("Bc7Quality", "TextureImportError", "cook_texture", "join_texture_parts", "preset_desc")
    )
    path, preset, quality, parts = job
    desc = preset_desc(preset, path)
    if desc.bc7_quality != Bc7Quality.NONE:
        desc = dataclasses.replace(desc, bc7_quality={"fast": Bc7Quality.FAST, "default": Bc7Quality.DEFAULT}[quality])
    data = Path(path).read_bytes()
    try:
        if parts == 1:
            cooked = cook_texture(data, desc, path)
        else:
            cooked = join_texture_parts([cook_texture(data, desc, path, part=(k, parts)) for k in range(parts)], desc)
    except TextureImportError as exc:
        return f"refused {exc.code.name}"
    except Exception as exc:  # noqa: BLE001 - the point is to see it
        return f"CRASH {type(exc).__name__}: {exc}"
    return hashlib.sha256(cooked.payload).hexdigest()


def hashes(tree: Path, files: list[str], processes: int) -> dict[tuple, str]:
    """Every job's result cooked by ``tree``'s worker package, in a child interpreter of its own."""
    jobs = [(p, pr, "fast", 1) for p in files for pr in PRESETS]
    jobs += [(p, pr, "default", 1) for p in files for pr in DEFAULT_QUALITY if Path(p).stat().st_size < 3_000_000]
    jobs += [(p, "albedo", "fast", 3) for p in files if Path(p).stat().st_size > 1_000_000]
    with tempfile.NamedTemporaryFile("w+", suffix=".txt") as listing:
        listing.write("\n".join("\t".join(map(str, j)) for j in jobs))
        listing.flush()
        out = subprocess.run([sys.executable, __file__, "--child", str(tree), listing.name, str(processes)], capture_output=True, text=True, check=True).stdout
    return dict(zip(jobs, out.splitlines()))


def _child(tree: str, listing: str, processes: int) -> None:
    global _WORKER
    _WORKER = _load_worker(Path(tree))  # before the pool forks: its processes inherit it
    jobs = [tuple(line.split("\t")) for line in Path(listing).read_text().splitlines()]
    jobs = [(p, pr, q, int(n)) for p, pr, q, n in jobs]
    with Pool(processes) as pool:
        print("\n".join(pool.map(_cook, jobs, chunksize=1)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, required=True, help="another checkout of oxcook")
    parser.add_argument("--assets", type=Path, default=REPO.parent / "shared" / "assets")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oxcook-same-bytes-") as tmp:
        files = sorted(str(p) for p in args.assets.rglob("*") if p.is_file() and "bad" not in p.relative_to(args.assets).parts and p.suffix.lower() in SUFFIXES)
        files += [str(p) for p in odd_shapes(Path(tmp))]
        ours, theirs = hashes(REPO, files, args.processes), hashes(args.against, files, args.processes)
    differ = [job for job in ours if ours[job] != theirs[job]]
    crashes = [(job, h) for job, h in ours.items() if h.startswith("CRASH")]
    print(f"{len(ours)} cooks of {len(files)} images: {len(differ)} differ from {args.against}, {sum(h.startswith('refused') for h in ours.values())} refused, {len(crashes)} crashed")
    for job in differ[:20]:
        print("  differs:", *job, ours[job][:24], "vs", theirs[job][:24])
    for job, h in crashes[:20]:
        print("  crashed:", *job, h)
    return 1 if differ or crashes else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())
