"""``oxcook cook``: check every option first, run the jobs through the service, report honestly.

Everything a user can get wrong is refused before any work starts (exit 2,
one line naming the option, file, rule or key): option values, manifest
values, the output folder, the report path, the broker URL. The root's build
record then answers the jobs whose every input is unchanged (``_up_to_date``);
only when one is left is the cooking stack loaded (the service, the local
pool's fork server). One job per scene and one for the loose textures run
through the service; Ctrl-C, SIGTERM
and SIGHUP cancel them (exit 130, the previous container intact), a second
one only says that cancelling is under way. Exit codes live in ``_errors``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from oxcook.formats import OxcookError
from oxcook.worker import default_encoder_target

from .._config import SPLIT_ABOVE, Config
from .._errors import EXIT_CANCELLED, EXIT_FOR_CODE, EXIT_INFRASTRUCTURE, EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE
from .._types import ImportOptions, ImportReport, ImportRequest, ImportSeverity, TextureImportRequest, TextureSettings
from ..backends import check_broker_url
from ..cache import DEFAULT_MAX_BYTES, CacheSettings, default_cache_dir
from ..importers import NOT_RENDERED, check_settings, expand_sources
from . import _log
from ._broker import broker_options, broker_url
from ._ci_outputs import github_annotations, junit_xml, write_metrics
from ._params import FLOAT, FRACTION, PATH, POSITIVE_INT, SECONDS, Argument, Command, Option, PixelCount, Size, SourceKey, parse_size
from ._dry_run import gather, refusal
from ._plan_output import json_lines, table_lines
from .._sinks import terminal
from ._preflight import check_output, check_report_path
from ._report import describe_quality, job_dict, report_dict
from ._up_to_date import CookPlan, missing_diagnostics, plan_cook, unchanged_report

if TYPE_CHECKING:
    from .._service import ImportService

EPILOG = """exit codes:
  0    every input cooked
  1    some inputs failed: the container is valid and they use the fallback texture (index 0);
       or a farm worker returned other bytes than a cook here (--verify-results, worker-result-mismatch):
       it is named and its results were replaced, or, if some were already used unverified, nothing was committed
  2    usage or configuration error (bad option, manifest, output folder, unreadable or invalid root)
  3    infrastructure error (disk full, worker pool or broker down, root locked)
  130  cancelled (Ctrl-C, SIGTERM, SIGHUP): no index was written, the previous container is intact

inputs: texture files, scene files (.gltf, .glb, .fbx), folders (every texture and every
  scene in them, recursively) and TOML manifests. A texture's id is its path relative
  to the common folder of the inputs.

manifests: [defaults] and [[textures]] rules, each with a glob relative to the
  manifest's folder ('*' stays in one folder, '**/' matches zero or more folders).
  Settings apply in this order, later winning: the preset the file name implies,
  [defaults], every matching rule in file order, the command line. A file that no
  rule matches is cooked with [defaults] and named in a warning (--strict: an error).
  --dry-run names the rule, [defaults], file name or option each setting came from.
  Quality gates min_psnr (dB) and max_normal_error_deg (99th percentile) may sit
  in [defaults] and rules; a texture below one is an error (exit 1) and is still written.

quality figures: each cooked texture's blocks are decoded and compared with what
  the encoder was given: psnr_db (level 0), psnr_alpha_db, mip_psnr_db (lowest mip),
  normal_error_deg (normal maps), alpha_coverage (alpha-test textures); in --report,
  -v, --log-format json, --junit and --metrics-file. An exact PSNR is "inf".

formats: rgba8, rgba8_srgb, bc7, bc7_srgb, rgba16f, rgba32f, r8, rg8, r16.
  Also bc1, bc1_srgb, bc3, bc3_srgb, bc4, bc5, bc6h: valid containers, but the
  Oxygen Engine renders only uncompressed formats and BC7 and will show its
  error texture for these.
"""

QUALITIES = ("fast", "default", "balanced", "high", "best")
FILTERS = ("box", "kaiser", "lanczos")


def cache_settings(args: argparse.Namespace) -> CacheSettings:
    """The cook cache the options and environment ask for (local on by default)."""
    shared = args.shared_cache or os.environ.get("OXCOOK_SHARED_CACHE") or None
    if args.no_cache:
        return CacheSettings()
    if args.cache is not None:
        local = args.cache
    elif os.environ.get("OXCOOK_NO_CACHE"):
        local = None
    else:
        local = default_cache_dir()
    return CacheSettings(local=local, shared=shared, max_bytes=args.cache_max_size, verify_fraction=args.cache_verify, trust_stat=not args.rebuild)


def command() -> Command:
    """``oxcook cook``: every option checked as it is parsed."""
    cache, ci = "Cook cache (a re-cook of unchanged sources does no encoding)", "What CI reads"
    return Command(
        "cook",
        run,
        short_help="cook textures and scenes into a cooked root",
        help="Cook textures, scenes, folders and TOML manifests into a loose cooked container. "
        "Presets come from file names (_albedo, _n/_normal, _orm, _rough, _metal, _ao, _emissive, .hdr/.exr, ...) "
        "or, for scene textures, from their material slot, unless --preset is given.",
        epilog=EPILOG,
        params=[
            Argument("sources", description="texture or scene files, folders (recursive) or TOML manifests", nargs=-1, required=True, type=PATH),
            Option("-o", "--output", required=True, type=PATH, metavar="ROOT", help="cooked root to create or update"),
            Option("--preset", metavar="NAME", help="preset for every texture (default: from the file name or the scene's material slot)"),
            Option("--format", metavar="FORMAT", help="output format (see below)"),
            Option("--mips", metavar="MIPS", help="none, full, or a maximum count"),
            Option("--quality", type=click.Choice(QUALITIES), help="BC7 effort: fast, default (= balanced) or high (= best)"),
            Option("--filter", type=click.Choice(FILTERS), help="mip filter"),
            Option(
                "--min-psnr",
                type=FLOAT,
                metavar="DB",
                help="a texture whose level-0 PSNR (decoded blocks against the encoder's input) is below DB is an error "
                "(texture-quality-below-threshold, exit 1), and still written; manifests: min_psnr and max_normal_error_deg per rule",
            ),
            Option("--no-quality", is_flag=True, help="measure no quality figures (PSNR, normal error, alpha coverage); they change no byte"),
            Option("--workers", type=POSITIVE_INT, metavar="N", help="compute processes (default: one per core)"),
            Option(
                "--split-above",
                type=PixelCount(),
                default=SPLIT_ABOVE,
                metavar="PIXELS",
                help="split a texture of at least this many pixels (e.g. 4096x4096 or 16M) across processes or farm workers, "
                "and a smaller one across processes that would otherwise idle; the bytes are the same (default: 4096x4096; 0: never split)",
            ),
            Option(
                "--memory-budget",
                type=Size(),
                metavar="SIZE",
                help="memory one local worker process may use for one texture, e.g. 4G; larger textures are refused by name "
                "(default: $OXCOOK_MEMORY_BUDGET, else each process's share of three quarters of this machine)",
            ),
            *broker_options("farm broker URL, redis://[user:password@]host:port/db (default: $OXCOOK_BROKER_URL, else the local process pool)"),
            Option(
                "--stall-timeout",
                type=SECONDS,
                default=lambda: os.environ.get("OXCOOK_STALL_TIMEOUT", "60"),
                metavar="S",
                help="farm: seconds with no item started or finished before a job with no live worker fails, exit 3 (default: $OXCOOK_STALL_TIMEOUT, else 60)",
            ),
            Option("--shared-storage", is_flag=True, help="farm workers read sources by path instead of from Redis"),
            Option(
                "--window",
                type=POSITIVE_INT,
                default=Config().texture_queue_capacity,
                metavar="N",
                help="textures in flight at once (submitted, not yet placed): bounds the coordinator's memory and, on a farm, the job's "
                "queued tasks and its Redis memory (at most N results); a farm of many processes needs more (default: 64)",
            ),
            Option(
                "--priority",
                type=click.Choice(("high", "normal", "low")),
                default="normal",
                help="farm: how this cook's tasks rank against other jobs' on the same farm; every job's first tasks rank before "
                "a long job's backlog, and high (release builds) moves all of them up, low down (default: normal)",
            ),
            Option(
                "--verify-results",
                type=FRACTION,
                metavar="FRACTION",
                help="farm: cook this share of fresh farm results again on this machine (chosen by source id) and compare the bytes; "
                "a worker whose bytes differ is named, its results replaced, exit 1. Without it a worker's lie of the right shape "
                "(shuffled blocks, hashed again) passes every other check (default: $OXCOOK_VERIFY_RESULTS, else 0)",
            ),
            Option("--report", type=PATH, metavar="FILE", help="write a JSON report: every job, one entry per texture, and totals"),
            Option("--strict", is_flag=True, help="a manifest file that no rule matches is an error, not a warning"),
            Option(
                "--force",
                is_flag=True,
                help="cook into a non-empty folder that is not a cooked root, or one inside another root; rebuild a root that does not validate",
            ),
            Option(
                "--rebuild",
                is_flag=True,
                help="ignore the root's build record and the stat cache: every input is read and hashed, cooked again (through the cook cache) and placed again, e.g. after the root or a source was edited by hand",
            ),
            Option(
                "--dry-run",
                is_flag=True,
                help="print the plan and write nothing: each input's preset, format and mips, the manifest rule, file name, [defaults] or "
                "option each setting came from, and whether the build record (unchanged), the cook cache (cache hit) or a cook would answer it "
                "(--log-format json: one JSON object per input on stdout)",
            ),
            Option("--prune", is_flag=True, help="drop the inputs of earlier cooks whose files are gone from the build record, with the sidecars only they produced"),
            Option("--cache", section=cache, type=PATH, metavar="DIR", help="the local cache folder (default: $OXCOOK_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/oxcook)"),
            Option("--no-cache", section=cache, is_flag=True, help="turn every cache tier off (also: OXCOOK_NO_CACHE=1)"),
            Option("--cache-max-size", section=cache, type=Size(), default=DEFAULT_MAX_BYTES, metavar="SIZE", help="prune the local cache to this size, least recently used first (default 10G)"),
            Option("--shared-cache", section=cache, metavar="URL", help="a shared tier for farms: redis://host:port/db or a folder (default: $OXCOOK_SHARED_CACHE)"),
            Option("--cache-verify", section=cache, type=FRACTION, default=0.0, metavar="FRACTION", help="cook this share of cache hits again and fail if the bytes differ"),
            Option(
                "--compact",
                type=FRACTION,
                metavar="FRACTION",
                help="after the cook, compact the root when stale bytes exceed this share of its data (e.g. 0.25)",
            ),
            Option("--source-key", type=SourceKey(), metavar="UUID", help="pin the root's identity (a UUIDv7), e.g. to compare two fresh roots byte for byte"),
            Option("-v", "--verbose", section=ci, is_flag=True, help="a line per texture: cache hit, or why it missed, and its cook time"),
            Option("-q", "--quiet", section=ci, is_flag=True, help="only errors and the summary"),
            Option("--log-format", section=ci, type=click.Choice(("text", "json")), default="text", help="json: one JSON object per line on stderr, a texture or a job each"),
            Option("--junit", section=ci, type=PATH, metavar="FILE", help="write JUnit XML: a testcase per texture (and per failed scene), failures with code and message"),
            Option("--metrics-file", section=ci, type=PATH, metavar="FILE", help="write Prometheus text format (for node-exporter's textfile collector)"),
            Option("--lock-timeout", type=SECONDS, default=600.0, metavar="S", help="seconds to wait for another cook of the same root (0: do not wait)"),
            Option(
                "--progress",
                type=click.Choice(("auto", "bar", "lines", "none")),
                default="auto",
                help="progress on stderr: a live bar on a terminal, plain lines otherwise (default: auto)",
            ),
        ],
    )


def exit_code_for(report: ImportReport) -> int:
    if report.failure_code:
        return EXIT_FOR_CODE.get(report.failure_code, EXIT_INFRASTRUCTURE)
    if report.cancelled:
        return EXIT_CANCELLED
    return EXIT_INPUT_FAILED if report.errors else EXIT_OK


class _Stop:
    """Ctrl-C, SIGTERM and SIGHUP: the first cancels every job, later ones only say so (never a traceback)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.reason: str | None = None
        self.service: ImportService | None = None
        self._previous: dict = {}

    def __enter__(self) -> "_Stop":
        try:
            self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        except ValueError:  # not the main thread: leave the handlers alone
            self._previous = {}
        return self

    def __exit__(self, *exc_info) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, _frame) -> None:
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        if self.reason is not None:
            _log.emit("cancelling", "oxcook cook: still cancelling; the previous container stays as it was", level=logging.WARNING, signal=name)
            return
        self.reason = f"interrupted ({name})"
        _log.emit("cancelling", f"oxcook cook: cancelling ({name}); the previous container stays as it was", level=logging.WARNING, signal=name)
        self.cancel()

    def cancel(self) -> None:
        if self.reason is not None and self.service is not None:
            self.service.cancel_all(self.reason)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    return _log.fail(f"oxcook cook: {message}", code)


def _warn(code: str, message: str, **fields) -> None:
    _log.emit("warning", f"oxcook cook: warning: {message}", level=logging.WARNING, code=code, **fields)


def run(args: argparse.Namespace) -> int:
    """``oxcook cook``. Finding the sources and what changed makes a few objects per texture that all live until the
    plan is made, and no cycles: the cycle collector, which would walk them again and again as they pile up, is off
    until the cook finds work (:func:`_cook` turns it back on)."""
    if not gc.isenabled():
        return _run(args)
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


def _run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _log.configure(verbose=args.verbose, quiet=args.quiet, log_format=args.log_format)
    settings = TextureSettings(args.preset, args.format, args.mips, args.quality, args.filter, min_psnr=args.min_psnr)
    try:
        broker = broker_url(args, "cook")
        check_settings(settings)
        check_output(args.output, force=args.force)
        for path in (args.report, args.junit, args.metrics_file):
            if path is not None:
                check_report_path(path)
        shared = args.shared_cache or os.environ.get("OXCOOK_SHARED_CACHE")
        if shared and shared.split(":", 1)[0].lower() in ("redis", "rediss"):
            check_broker_url(shared)
        found = expand_sources(args.sources, settings, strict=args.strict)
    except OxcookError as exc:
        return _fail(exc.message, EXIT_FOR_CODE.get(exc.code, EXIT_USAGE))
    if args.format and args.format.lower() in NOT_RENDERED:
        _warn("format-not-rendered", f"the Oxygen Engine does not render {args.format}; it shows its error texture instead", format=args.format)
    if not found.textures and not found.scenes:
        return _fail("no textures or scenes found in " + ", ".join(map(str, args.sources)))
    gated = next((t.source_id for t in found.textures if t.gates.any), None) or (args.min_psnr is not None and "--min-psnr")
    if args.no_quality and gated:
        return _fail(f"--no-quality measures no figures, so the quality gates ({gated}) could not be checked; drop one or the other")
    if args.dry_run:
        return _dry_run(args, found, settings)

    if args.rebuild or args.force:
        plan = CookPlan(scenes_to_cook=list(found.scenes), textures_to_cook=bool(found.textures))
    else:
        plan = plan_cook(args.output, found, settings, default_encoder_target(), on_work=lambda: _start_local_pool(broker))
    if plan.warning:
        _warn("build-record-invalid", plan.warning)
    prune = args.prune and bool(plan.missing.textures)
    if plan.nothing_to_do and not prune:
        jobs = [(str(scene), unchanged_report(args.output)) for scene in plan.unchanged_scenes]
        if found.textures:
            jobs.append((f"{len(found.textures)} textures", unchanged_report(args.output, plan.unchanged_textures, plan.missing)))
        return _finish(args, jobs, started)
    return _cook(args, found, plan, settings, broker, prune, started)


def _start_local_pool(broker: str | None) -> None:
    """Start the local pool's fork server (once; a farm cook has none)."""
    if not broker or broker.lower().startswith("local"):
        from ..backends import start_fork_server

        start_fork_server()


def _dry_run(args: argparse.Namespace, found, settings: TextureSettings) -> int:
    """``--dry-run``: the plan on stdout, warnings on stderr; nothing written."""
    problem = refusal(args)
    if problem:
        return _fail(problem)
    ignore = "--rebuild" if args.rebuild else "--force" if args.force else ""
    plan = gather(args.output, found, settings, cache_settings(args), ignore_record=ignore, prune=args.prune)
    for warning in plan.warnings:
        print(terminal(f"oxcook cook: warning: {warning}"), file=sys.stderr)
    if args.compact is not None:
        print("oxcook cook: --compact is decided after a cook, from what it left stale; the plan does not say", file=sys.stderr)
    for line in json_lines(plan) if args.log_format == "json" else table_lines(plan):
        print(line)
    return EXIT_OK


def _cook(args: argparse.Namespace, found, plan: CookPlan, settings: TextureSettings, broker: str | None, prune: bool, started: float) -> int:
    """Run the jobs that have work through the service (the cooking stack is loaded here, not before)."""
    gc.enable()  # cooking makes and drops objects by the thousand: the collector runs as in any program
    _start_local_pool(broker)  # the pool's processes import the worker while this process imports the service
    from .._service import ImportService, QueueDispatcher
    from ._progress import PhaseEvents, ProgressDisplay

    texture_label = f"{len(found.textures)} textures"
    budget = args.memory_budget
    if budget is None and os.environ.get("OXCOOK_MEMORY_BUDGET"):
        try:
            budget = parse_size(os.environ["OXCOOK_MEMORY_BUDGET"])
        except ValueError:
            return _fail(f"OXCOOK_MEMORY_BUDGET={os.environ['OXCOOK_MEMORY_BUDGET']!r} is not a size (bytes, or with K, M, G or T)")
    verify = args.verify_results
    if verify is None and os.environ.get("OXCOOK_VERIFY_RESULTS"):
        try:
            verify = FRACTION(os.environ["OXCOOK_VERIFY_RESULTS"])
        except click.BadParameter as exc:
            return _fail(f"OXCOOK_VERIFY_RESULTS: {exc}")
    # jobs into one root run one after another anyway (its lock): in submission order, so rows are too
    config = Config(
        max_concurrent_jobs=1,
        stall_timeout=args.stall_timeout,
        lock_timeout=args.lock_timeout,
        broker_url=broker,
        shared_storage=args.shared_storage,
        memory_budget=budget,
        cache=cache_settings(args),
        split_above=args.split_above,
        verify_results=verify or 0.0,
        quality=not args.no_quality,
        texture_queue_capacity=args.window,
        farm_priority=args.priority,
    )
    if args.workers:
        config = dataclasses.replace(config, thread_pool_size=args.workers)
    options = ImportOptions(textures=settings, rebuild_invalid_root=args.force, ignore_record=args.rebuild or args.force, prune=prune)
    live = args.progress == "bar" or (args.progress == "auto" and sys.stderr.isatty())
    if args.log_format == "json":
        display = PhaseEvents()  # no display: each line is a JSON object
    elif args.progress != "none" and not args.quiet:
        display = ProgressDisplay(sys.stderr, live=live)
    else:
        display = None
    dispatcher = QueueDispatcher()
    reports: dict[int, ImportReport] = {}
    labels: dict[int, str] = {}

    with _Stop() as stop:
        try:
            service = ImportService(config, dispatcher=dispatcher)
        except OxcookError as exc:
            return _fail(exc.message, EXIT_FOR_CODE.get(exc.code, EXIT_INFRASTRUCTURE))
        stop.service = service
        try:
            # one job per scene and one for loose textures; the root's lock runs them one after another
            answered: dict[str, ImportReport] = {str(scene): unchanged_report(args.output) for scene in plan.unchanged_scenes}
            order: list[str | int] = []
            for scene in found.scenes:
                if str(scene) in answered:
                    order.append(str(scene))
                    continue
                request = ImportRequest(source_path=scene, cooked_root=args.output, options=options, source_key=args.source_key)
                job = service.submit_import(request, lambda j, r: reports.update({j: r}), display and display.update)
                labels[job] = str(scene)
                order.append(job)
            if found.textures and not plan.textures_to_cook and not prune:
                answered[texture_label] = unchanged_report(args.output, plan.unchanged_textures)
                order.append(texture_label)
            elif found.textures:
                request = TextureImportRequest(textures=tuple(found.textures), cooked_root=args.output, options=options, source_key=args.source_key, planned=plan.textures_planned)
                job = service.submit_texture_import(request, lambda j, r: reports.update({j: r}), display and display.update)
                labels[job] = texture_label
                order.append(job)
            stop.cancel()  # a signal that came during start-up
            while len(reports) < len(labels):
                dispatcher.run_pending(timeout=0.2)
                if display:
                    display.tick()
            dispatcher.run_pending()
        finally:
            service.close()
    if display:
        display.finish()
    jobs = [(key, answered[key]) if isinstance(key, str) else (labels[key], reports[key]) for key in order]
    if plan.missing.textures or plan.missing.scenes:  # named once, with the loose textures (or the last job)
        report = next((r for label, r in jobs if label == texture_label), jobs[-1][1])
        report.missing = [*plan.missing.textures, *plan.missing.scenes]
        report.diagnostics.extend(missing_diagnostics(plan.missing, pruned=prune))
    code = _finish(args, jobs, started)
    if args.compact is not None and code in (EXIT_OK, EXIT_INPUT_FAILED):
        _maybe_compact(args.output, args.compact, args.lock_timeout)
    return code


def _maybe_compact(root: Path, threshold: float, lock_timeout: float) -> None:
    """``--compact``: compact when the stale share of the data files passes ``threshold`` (a failure is only reported)."""
    from ..emit import compact_root

    try:
        result = compact_root(root, lock_timeout=lock_timeout, min_stale_fraction=threshold)
        if result.committed:
            _log.emit("compact", f"oxcook cook: {root}: compact: {result.describe()}", root=root, freed=result.plan.freed)
    except (OxcookError, OSError) as exc:
        why = getattr(exc, "message", None) or str(exc)
        _log.emit("compact-skipped", f"oxcook cook: {root}: compaction skipped: {why}", level=logging.WARNING, root=root, reason=why)


def _finish(args: argparse.Namespace, jobs: list[tuple[str, ImportReport]], started: float) -> int:
    codes = [exit_code_for(r) for _, r in jobs]
    code = next((c for c in (EXIT_CANCELLED, EXIT_INFRASTRUCTURE, EXIT_USAGE, EXIT_INPUT_FAILED) if c in codes), EXIT_OK)
    summaries = []
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    per_texture = annotate or _log.shows(logging.DEBUG) or any(p is not None for p in (args.report, args.junit, args.metrics_file))
    for (label, report), job_code in zip(jobs, codes, strict=True):
        summary = job_dict(report, label, job_code, per_texture=per_texture)
        summaries.append(summary)
        _log_diagnostics(report, label)
        for t, entry in zip(report.textures, summary["textures"], strict=True) if _log.shows(logging.DEBUG) else ():
            why = f" ({t.miss_reason})" if t.miss_reason else ""
            _log.emit("texture", f"  {t.source_id}: cache {t.cache}{why}, cooked in {t.cook_ms:.0f} ms{describe_quality(t.quality)}", level=logging.DEBUG, job=label, **entry)
        level = logging.INFO if job_code == EXIT_OK else logging.WARNING if job_code == EXIT_CANCELLED else logging.ERROR
        totals = {k: summary[k] for k in ("exit_code", "failure_code", "totals")}
        _log.emit("job", f"oxcook cook: {label}: {_describe(report, summary)}", level=level, always=True, job=label, **totals)
    if annotate:
        for line in github_annotations(summaries):
            print(line)
    seconds = time.perf_counter() - started
    writes = [(args.report, lambda p: _write_json(p, report_dict(summaries, code, seconds))), (args.junit, lambda p: p.write_bytes(junit_xml(summaries))), (args.metrics_file, lambda p: write_metrics(p, summaries, seconds, code))]
    for path, write in writes:
        if path is None:
            continue
        try:
            write(path)
        except OSError as exc:
            _log.emit("output-unwritable", f"oxcook cook: {path} could not be written: {exc.strerror or exc}", level=logging.ERROR, path=path)
            code = max(code, EXIT_INFRASTRUCTURE) if code != EXIT_CANCELLED else code
    return code


def _write_json(path: Path, value) -> None:
    """``value`` as indented JSON, streamed to ``path``: no whole-document string in memory (a
    1 000-texture report's was ~2 MB at the job's peak, the one part of it that grew with the job)."""
    with path.open("w", encoding="utf-8") as fh:
        json.dump(value, fh, indent=2)


_SAME_CODE_SHOWN = 5  # warnings of one code logged before the rest are only counted (the report lists them all)


def _log_diagnostics(report: ImportReport, label: str) -> None:
    shown: dict[str, int] = {}
    for diag in report.diagnostics:
        if report.failure_code and diag.code == report.failure_code:
            continue  # the job's summary line says it
        shown[diag.code] = shown.get(diag.code, 0) + 1
        if diag.severity != ImportSeverity.WARNING or shown[diag.code] <= _SAME_CODE_SHOWN:
            level = {ImportSeverity.ERROR: logging.ERROR, ImportSeverity.WARNING: logging.WARNING}.get(diag.severity, logging.INFO)
            _log.emit("diagnostic", str(diag), level=level, job=label, severity=diag.severity.value, code=diag.code, source_id=diag.source_id)
    for code, count in shown.items():
        if count > _SAME_CODE_SHOWN and any(d.code == code and d.severity == ImportSeverity.WARNING for d in report.diagnostics):
            message = f"warning: … and {count - _SAME_CODE_SHOWN} more {code} warnings (--report lists every one)"
            _log.emit("warnings-elided", message, level=logging.WARNING, job=label, code=code, count=count - _SAME_CODE_SHOWN)


def _describe(report: ImportReport, summary: dict) -> str:
    totals = summary["totals"]
    if report.cancelled:
        return f"cancelled after {totals['seconds']:.1f} s; nothing was committed, {report.cooked_root} is as it was"
    if report.failure_code:
        why = next((d.message for d in report.errors if d.code == report.failure_code), report.failure_code)
        if EXIT_FOR_CODE.get(report.failure_code) == EXIT_INPUT_FAILED:
            return f"not cooked ({report.failure_code}): {why}; the rest of {report.cooked_root} is unchanged and valid"
        return f"failed ({report.failure_code}): {why}; nothing was committed, {report.cooked_root} is as it was"
    if report.unchanged and totals["unchanged"] == totals["textures"]:
        what = f"{totals['unchanged']} unchanged" if totals["textures"] else "unchanged"
        return f"{what} (the build record vouched for every input; nothing was read or written) in {totals['seconds']:.1f} s"
    assets = [f"{n} {what}" for n, what in ((report.materials_written, "materials"), (report.geometry_written, "geometry"), (report.scenes_written, "scenes")) if n]
    cache = f"; {totals['cache_hits']} from cache, {totals['encoded']} encoded" if any(t.cache != "off" for t in report.textures) else ""
    unchanged = f", {totals['unchanged']} unchanged" if totals["unchanged"] else ""
    return (
        f"{totals['cooked']}/{totals['textures'] - totals['unchanged']} textures cooked ({totals['deduplicated']} deduplicated, {totals['failed']} failed{cache}){unchanged}"
        + (", " + ", ".join(assets) if assets else "")
        + f" into {report.cooked_root} in {totals['seconds']:.1f} s"
    )
