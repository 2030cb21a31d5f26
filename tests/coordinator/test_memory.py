"""The coordinator's memory per texture stays under its estimate, and the budget covers the results it holds."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from bench.memory import COORDINATOR
from oxcook.coordinator._memory import HeldBytes, result_estimate
from tests.worker.cook.test_budget import KINDS, measured, one_bit
from oxcook.worker.cook import preset_desc

from .importers.test_hostile import REPO


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_coordinators_peak_for_one_texture_is_under_its_estimate(tmp_path, kind):
    make, _, preset, _, _ = KINDS[kind]
    path = make(tmp_path, 2048)
    result = measured(COORDINATOR, str(path), preset, "fast", str(tmp_path / "root"), str(tmp_path / "cache"))
    assert result["code"] == 0
    estimate = result_estimate(preset_desc(preset), (2048, 2048), 1)
    assert result["peak"] <= estimate, f"{kind}: peak {result['peak'] / 2**20:.0f} MB over the estimate {estimate / 2**20:.0f} MB"


def test_a_texture_whose_result_is_over_the_coordinators_budget_is_refused_by_name(tmp_path):
    path = one_bit(tmp_path, 2048)
    (tmp_path / "bits_data.png").write_bytes(path.read_bytes())
    budget = result_estimate(preset_desc("data"), (2048, 2048), 1) - 1
    cmd = [sys.executable, "-m", "oxcook", "cook", str(tmp_path / "bits_data.png"), "-o", str(tmp_path / "root"), "--progress", "none", "--memory-budget", str(budget)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "texture-image-too-large" in result.stderr and "in the coordinator" in result.stderr and "bits_data.png" in result.stderr
    assert "Traceback" not in result.stderr


def test_textures_are_held_within_the_budget_and_a_larger_one_alone():
    async def scenario() -> list[str]:
        held, events = HeldBytes(100), []

        async def take(name: str, size: int) -> None:
            await held.take(size)
            events.append(f"{name}+")

        await take("a", 60)
        second = asyncio.create_task(take("b", 60))
        await asyncio.sleep(0)
        events.append(f"waiting {held.held}")
        held.give(60)
        await second
        held.give(60)
        await take("huge", 500)  # nothing held: it goes alone
        return events

    assert asyncio.run(scenario()) == ["a+", "waiting 60", "b+", "huge+"]
