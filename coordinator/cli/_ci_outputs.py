"""What CI systems read from a cook: JUnit XML, GitHub Actions annotations and Prometheus metrics (pure views of the report).

Each takes the report's job entries (``_report.job_dict``) — one testcase per
texture (a scene job that failed is one testcase too), failures carrying their
diagnostic code and message, a texture's quality figures as the testcase's
properties (``psnr_db``, ``normal_error_deg_p99``, …) and, in the metrics, a
histogram of level-0 PSNR (exact textures counted apart: a histogram's sum
cannot hold an infinity). The metrics describe the last cook, so its counts are
gauges (a counter would claim to grow across runs), with its exit code and
``oxcook_last_run_timestamp_seconds`` for a staleness alert; they use
``prometheus_client`` (it ships with Flower) and its atomic
``write_to_textfile``, for node-exporter's textfile collector.
"""

from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from .._sinks import github_data, github_property, workspace_path, xml_text

_COOK_SECONDS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
_PSNR_BUCKETS = (20.0, 25.0, 30.0, 35.0, 38.0, 40.0, 42.0, 45.0, 50.0, 60.0)


def _properties(quality: dict | None) -> list[tuple[str, str]]:
    """A texture's quality figures as flat (name, value) pairs (JUnit properties)."""
    if not quality:
        return []
    pairs = []
    for name, value in quality.items():
        if isinstance(value, dict):
            pairs += [(f"{name}_{k}", str(v if not isinstance(v, list) else " ".join(map(str, v)))) for k, v in value.items()]
        else:
            pairs.append((name, str(value)))
    return pairs


def _errors(entry: dict) -> list[dict]:
    return [d for d in entry["diagnostics"] if d["severity"] == "error"]


def junit_xml(jobs: list[dict], *, finished: float | None = None) -> bytes:
    """A JUnit report: a testsuite per job (named for its input, with when and where it ran), a testcase per
    texture (and one for a scene that failed), every name and message as XML may hold it."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() if finished is None else finished))
    suites = ET.Element("testsuites", name="oxcook cook")
    for job in jobs:
        cases = [(t["source"], t["cook_ms"] / 1000.0, _errors(t), _properties(t.get("quality"))) for t in job["textures"]]
        if job["failure_code"]:
            failure = [d for d in job["diagnostics"] if d["code"] == job["failure_code"]] or [{"code": job["failure_code"], "message": job["failure_code"]}]
            cases.append((job["input"], job["totals"]["seconds"], failure, []))
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=xml_text(job["input"]),
            tests=str(len(cases)),
            failures=str(sum(bool(c[2]) for c in cases)),
            errors="0",
            time=f"{job['totals']['seconds']:.3f}",
            timestamp=stamp,
            hostname=xml_text(socket.gethostname()),
        )
        for name, seconds, errors, properties in cases:
            case = ET.SubElement(suite, "testcase", classname=xml_text(job["input"]), name=xml_text(name), time=f"{seconds:.3f}")
            if properties:
                listed = ET.SubElement(case, "properties")
                for key, value in properties:
                    ET.SubElement(listed, "property", name=xml_text(key), value=xml_text(value))
            for error in errors:
                failure = ET.SubElement(case, "failure", type=xml_text(error["code"]), message=xml_text(error["message"]))
                failure.text = xml_text(f"{error['code']}: {error['message']}")
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def _paths(job: dict) -> dict[str, str]:
    """Each texture's source file (``source`` id → path), for annotations GitHub can place."""
    return {t["source"]: t.get("path", "") for t in job["textures"]}


def github_annotations(jobs: list[dict], environ=None) -> list[str]:
    """``::error file=…,title=code::message`` lines (and ``::warning``) for GitHub Actions, the file relative to
    ``$GITHUB_WORKSPACE``; names and messages escaped so that none can end the line or start another command."""
    import os

    environ = os.environ if environ is None else environ
    lines = []
    for job in jobs:
        paths = _paths(job)
        for d in job["diagnostics"]:
            level = {"error": "error", "warning": "warning"}.get(d["severity"])
            if level:
                where = paths.get(d.get("source_id", "")) or job.get("path") or d.get("source_id") or job["input"]
                file = github_property(workspace_path(where, environ))
                lines.append(f"::{level} file={file},title={github_property(d['code'])}::{github_data(d['message'])}")
    return lines


def write_metrics(path: Path, jobs: list[dict], seconds: float, exit_code: int) -> None:
    """Prometheus text format, written atomically: the last cook's figures as gauges (textures by result, failures
    by code, cache hits, wall time, exit code, when it ended) and histograms of its textures' cook seconds and PSNR."""
    from prometheus_client import CollectorRegistry, Gauge, Histogram, disable_created_metrics, write_to_textfile  # only when asked: ~20 ms of every start-up

    disable_created_metrics()  # a histogram's *_created says when this process made it: noise in a last-run file
    registry = CollectorRegistry()
    results = Gauge("oxcook_textures", "Textures of the last cook, by result", ["result"], registry=registry)
    failures = Gauge("oxcook_texture_failures", "Failed textures of the last cook, by diagnostic code", ["code"], registry=registry)
    cook_seconds = Histogram("oxcook_texture_cook_seconds", "Time a worker spent cooking each texture", buckets=_COOK_SECONDS_BUCKETS, registry=registry)
    hits = Gauge("oxcook_cache_hits", "Textures of the last cook found in the cook cache", registry=registry)
    psnr = Histogram("oxcook_texture_psnr_db", "Level-0 PSNR of each cooked texture (decoded blocks against the encoder's input), dB", buckets=_PSNR_BUCKETS, registry=registry)
    exact = Gauge("oxcook_textures_exact", "Cooked textures of the last cook whose level 0 decodes exactly (an infinite PSNR)", registry=registry)
    jobs_failed = Gauge("oxcook_jobs_failed", "Jobs of the last cook that failed as a whole, by code", ["code"], registry=registry)
    Gauge("oxcook_cook_seconds", "Wall time of the last cook", registry=registry).set(seconds)
    Gauge("oxcook_last_run_exit_code", "Exit code of the last cook (0: every input cooked)", registry=registry).set(exit_code)
    Gauge("oxcook_last_run_timestamp_seconds", "When the last cook ended, seconds since the epoch", registry=registry).set(time.time())
    for result in ("cooked", "cache_hit", "failed"):
        results.labels(result)  # each result present, zero included: an alert on failures needs the zero
    for job in jobs:
        if job["failure_code"]:
            jobs_failed.labels(job["failure_code"]).inc()
        for t in job["textures"]:
            errors = _errors(t)
            results.labels("failed" if errors else ("cache_hit" if t["cache"] == "hit" else "cooked")).inc()
            for e in errors:
                failures.labels(e["code"]).inc()
            if t["cache"] != "hit" and not errors:
                cook_seconds.observe(t["cook_ms"] / 1000.0)
            hits.inc(t["cache"] == "hit")
            value = (t.get("quality") or {}).get("psnr_db")
            if value == "inf":
                exact.inc()
            elif value is not None:
                psnr.observe(value)
    write_to_textfile(str(path), registry)
