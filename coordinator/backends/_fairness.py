"""How jobs share one farm: the Celery priority of each task a job publishes.

Every job of every coordinator feeds the same queue, and a job keeps up to its
window of tasks queued; first come, first served would make a 20-texture job
wait behind a 2,000-texture job's whole backlog. Instead each task's priority
comes from how many of its own job's tasks are queued already (published, not
yet finished): a job's first task gets the best priority, its second the next,
then one level per doubling (1, 2–3, 4–7, …). A job starting while another
runs therefore puts its first tasks ahead of the other's backlog, which sits at
the worst levels its window reaches, and the farm turns to it within one task
per process. Nothing is taken away from the big job: workers stay busy with it
whenever no newcomer waits.

``oxcook cook --priority`` shifts a job's levels: ``high`` (release builds)
two levels better, ``low`` two worse. Levels are kombu's Redis priorities
(``worker.farm.keys.PRIORITY_STEPS``): 0 is served first.
"""

from __future__ import annotations

from oxcook.worker.farm import keys

PRIORITY_SHIFTS = {"high": -2, "normal": 0, "low": 2}  # --priority: the levels a job's tasks move by


def task_priority(queued: int, priority: str = "normal") -> int:
    """The Celery priority of a job's next task, ``queued`` of its tasks being queued already.

    Raises:
        ValueError: ``priority`` is not one of :data:`PRIORITY_SHIFTS`.
    """
    if priority not in PRIORITY_SHIFTS:
        raise ValueError(f"priority {priority!r}: expected one of {', '.join(PRIORITY_SHIFTS)}")
    best, worst = keys.PRIORITY_STEPS[0], keys.PRIORITY_STEPS[-1]
    return min(worst, max(best, max(0, queued).bit_length() + PRIORITY_SHIFTS[priority]))
