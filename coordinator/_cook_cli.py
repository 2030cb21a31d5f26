"""``oxcook cook`` and ``oxcook repair``: run a job through the service and turn it into an exit code.

Exit codes (also in ``--help`` and the README):
0 all cooked · 1 some inputs failed (the container is valid, failed textures
use the fallback at index 0) · 2 usage or configuration error · 3
infrastructure error (disk full, backend down, root locked) · 130 cancelled
(Ctrl-C; the previous container is left as it was).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from formats import OxcookError

from ._config import Config
from ._errors import EXIT_CANCELLED, EXIT_FOR_CODE, EXIT_INPUT_FAILED, EXIT_INFRASTRUCTURE, EXIT_OK, EXIT_USAGE
from ._journal import RootLock, recover_root
from ._progress import ProgressDisplay
from ._service import ImportService, QueueDispatcher
from ._sources import NOT_RENDERED, expand_sources
from ._importer import ImportFormat, detect_format
from ._types import ImportOptions, ImportReport, ImportRequest, ImportSeverity, TextureImportRequest, TextureSettings

EPILOG = """exit codes:
  0    every input cooked
  1    some inputs failed: the container is valid and they use the fallback texture (index 0)
  2    usage or configuration error (bad option, manifest, unreadable or Epoch-A root)
  3    infrastructure error (disk full, worker pool or broker down, root locked)
  130  cancelled (Ctrl-C): no index was written, the previous container is intact

formats: rgba8, rgba8_srgb, bc7, bc7_srgb, rgba16f, rgba32f, r8, rg8, r16.
  Also bc1, bc1_srgb, bc3, bc3_srgb, bc4, bc5, bc6h: valid containers, but the
  Oxygen Engine renders only uncompressed formats and BC7 and will show its
  error texture for these.
"""


SCENE_FORMATS = (ImportFormat.GLTF, ImportFormat.GLB, ImportFormat.FBX)


def add_cook_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", type=Path, help="texture files, folders (recursive) or TOML manifests")
    parser.add_argument("-o", "--output", required=True, type=Path, help="cooked root to create or update")
    parser.add_argument("--preset", help="preset for every texture (default: from the file name, e.g. _n -> normal)")
    parser.add_argument("--format", help="output format (see below)")
    parser.add_argument("--mips", help="none, full, or a maximum count")
    parser.add_argument("--quality", help="BC7 effort: fast, default (balanced) or high (best)")
    parser.add_argument("--filter", help="mip filter: box, kaiser or lanczos")
    parser.add_argument("--workers", type=int, help="compute processes (default: one per core)")
    parser.add_argument("--broker", help="farm broker URL (default: $OXCOOK_BROKER_URL, else the local process pool)")
    parser.add_argument("--shared-storage", action="store_true", help="farm workers read sources by path instead of from Redis")
    parser.add_argument("--report", type=Path, help="write a JSON report: one entry per texture, and totals")
    parser.add_argument("--lock-timeout", type=float, default=600.0, help="seconds to wait for another cook of the same root")
    parser.add_argument("--progress", choices=("auto", "bar", "lines", "none"), default="auto")


def report_dict(report: ImportReport, exit_code: int) -> dict:
    textures = report.textures
    failed = [t for t in textures if any(d.severity == ImportSeverity.ERROR for d in t.diagnostics)]
    return {
        "cooked_root": str(report.cooked_root),
        "exit_code": exit_code,
        "success": report.success,
        "cancelled": report.cancelled,
        "recovered": report.recovered,
        "failure_code": report.failure_code,
        "materials_written": report.materials_written,
        "geometry_written": report.geometry_written,
        "scenes_written": report.scenes_written,
        "emitted": report.emitted,
        "textures": [
            {
                "source": t.source_id,
                "index": t.index,
                "preset": t.preset,
                "format": t.format,
                "size": [t.width, t.height],
                "mips": t.mips,
                "bytes": t.bytes,
                "milliseconds": t.milliseconds,
                "deduplicated": t.deduplicated,
                "diagnostics": [d.to_dict() for d in t.diagnostics],
            }
            for t in textures
        ],
        "diagnostics": [d.to_dict() for d in report.diagnostics],
        "totals": {
            "textures": len(textures),
            "cooked": len(textures) - len(failed),
            "failed": len(failed),
            "deduplicated": sum(t.deduplicated for t in textures),
            "bytes": sum(t.bytes for t in textures if not t.deduplicated and t.index),
            "seconds": round(report.seconds, 3),
            "textures_per_second": round(len(textures) / report.seconds, 2) if report.seconds else 0.0,
        },
    }


def exit_code_for(report: ImportReport) -> int:
    if report.failure_code:
        return EXIT_FOR_CODE.get(report.failure_code, EXIT_INFRASTRUCTURE)
    if report.cancelled:
        return EXIT_CANCELLED
    return EXIT_INPUT_FAILED if report.errors else EXIT_OK


def cmd_cook(args: argparse.Namespace) -> int:
    settings = TextureSettings(args.preset, args.format, args.mips, args.quality, args.filter)
    scenes = [p for p in args.sources if p.is_file() and detect_format(p) in SCENE_FORMATS]
    try:
        textures = expand_sources([p for p in args.sources if p not in scenes], settings)
    except OxcookError as exc:
        print(f"oxcook cook: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    if args.format and args.format.lower() in NOT_RENDERED:
        print(f"oxcook cook: warning: the Oxygen Engine does not render {args.format}; it shows its error texture instead", file=sys.stderr)
    if not textures and not scenes:
        print("oxcook cook: no textures found in " + ", ".join(map(str, args.sources)), file=sys.stderr)
        return EXIT_USAGE
    config = Config(lock_timeout=args.lock_timeout, broker_url=args.broker or os.environ.get("OXCOOK_BROKER_URL"))
    if args.workers:
        config = dataclasses.replace(config, thread_pool_size=args.workers)
    if args.shared_storage:
        config = dataclasses.replace(config, shared_storage=True)
    live = args.progress == "bar" or (args.progress == "auto" and sys.stderr.isatty())
    display = ProgressDisplay(sys.stderr, live=live) if args.progress != "none" else None
    dispatcher = QueueDispatcher()
    reports: list[ImportReport] = []
    progress = display.update if display else None
    try:
        service = ImportService(config, dispatcher=dispatcher)
    except OxcookError as exc:
        print(f"oxcook cook: {exc.message}", file=sys.stderr)
        return EXIT_FOR_CODE.get(exc.code, EXIT_INFRASTRUCTURE)
    try:
        # one job per scene and one for loose textures; the root's lock runs them one after another
        jobs = [service.submit_import(ImportRequest(source_path=p, cooked_root=args.output), lambda _j, r: reports.append(r), progress) for p in scenes]
        if textures:
            request = TextureImportRequest(textures=tuple(textures), cooked_root=args.output, options=ImportOptions())
            jobs.append(service.submit_texture_import(request, lambda _j, r: reports.append(r), progress))
        while len(reports) < len(jobs):
            try:
                dispatcher.run_pending(timeout=0.2)
            except KeyboardInterrupt:
                print("\noxcook cook: cancelling (Ctrl-C); the previous container stays as it was", file=sys.stderr)
                service.cancel_all("interrupted (Ctrl-C)")
        dispatcher.run_pending()
    finally:
        service.close()
    if display:
        display.finish()
    codes = [exit_code_for(r) for r in reports]
    code = next((c for c in (EXIT_CANCELLED, EXIT_INFRASTRUCTURE, EXIT_USAGE, EXIT_INPUT_FAILED) if c in codes), EXIT_OK)
    summaries = []
    for report, report_code in zip(reports, codes):
        for diag in report.diagnostics:
            print(str(diag), file=sys.stderr)
        summary = report_dict(report, report_code)
        summaries.append(summary)
        totals = summary["totals"]
        assets = f", {report.materials_written} materials, {report.geometry_written} geometry, {report.scenes_written} scenes" if report.materials_written + report.geometry_written + report.scenes_written else ""
        print(
            f"oxcook cook: {totals['cooked']}/{totals['textures']} textures cooked ({totals['deduplicated']} deduplicated, "
            f"{totals['failed']} failed){assets} into {report.cooked_root} in {totals['seconds']:.1f} s",
            file=sys.stderr,
        )
    if args.report:
        args.report.write_text(json.dumps(summaries[0] if len(summaries) == 1 else {"exit_code": code, "jobs": summaries}, indent=2))
    return code


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a Celery worker with oxcook's defaults: prefork, one process per core, events on."""
    broker = args.broker or os.environ.get("OXCOOK_BROKER_URL") or "redis://127.0.0.1:6379/0"
    os.environ["OXCOOK_BROKER_URL"] = broker
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # the encoder is single-threaded: one process per core
    from worker.celery_app import app

    argv = ["worker", "--pool", "prefork", "--concurrency", str(args.concurrency or Config().thread_pool_size), "--events", "--prefetch-multiplier", "1", "-O", "fair", "--loglevel", args.loglevel]
    if args.hostname:
        argv += ["--hostname", args.hostname]
    app.worker_main(argv=argv)
    return EXIT_OK


def cmd_repair(args: argparse.Namespace) -> int:
    root: Path = args.root
    if not root.is_dir():
        print(f"oxcook repair: {root}: no such folder", file=sys.stderr)
        return EXIT_USAGE
    lock = RootLock(root)
    try:
        lock.acquire(args.lock_timeout)
        result = recover_root(root)
    except OxcookError as exc:
        print(f"oxcook repair: {exc.message}", file=sys.stderr)
        return EXIT_FOR_CODE.get(exc.code, EXIT_INFRASTRUCTURE)
    finally:
        lock.release()
    print(f"oxcook repair: {root}: {result.describe()}")
    return EXIT_OK
