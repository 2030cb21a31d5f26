"""The coordinator's errors, and every ``oxcook`` exit code (this is the one table).

::

    OxcookError (formats)
    ├── ConfigError            config-invalid      bad command line, manifest, preset or broker scheme   -> exit 2
    ├── PathEscapesRoot        path-escapes-root   an input path leads outside its folder or root         -> exit 2
    ├── RootUnusableError      root-unusable       unreadable or Epoch-A index, lost data                 -> exit 2
    ├── RootLockedError        root-locked         another cook holds the root past the lock timeout      -> exit 3
    ├── OutputWriteError       output-write-failed disk full, permissions, I/O errors                     -> exit 3
    ├── BackendError           backend-unreachable the worker pool or broker cannot run work              -> exit 3
    ├── CommitRefusedError     commit-invalid      what a cook would commit breaks a loader rule (a bug)  -> exit 3
    ├── SceneError             scene-invalid       a scene file that cannot be read (truncated, missing buffer) -> exit 1
    │   └── SceneTooLarge      scene-too-large     a scene whose estimated memory in the coordinator is over its budget -> exit 1
    ├── WorkerResultMismatch   worker-result-mismatch  a farm worker's result differs from a cook of the same
    │                                              input on the coordinator (--verify-results)               -> exit 1
    └── BuildRecordError       build-record-invalid a root's build record that cannot be trusted: ignored with a
                                                   warning, the cook checks every input again (never an exit code)

A failed *input* (one texture that does not decode) is not an error of the
job: it is a diagnostic, the texture resolves to the fallback, and the exit
code is 1. Likewise a farm worker caught returning other bytes than a cook of
the same input here (``worker-result-mismatch``) is an error diagnostic naming
the worker: its results were replaced by the coordinator's own cooks, the
container is committed with them, and the exit code is 1. Only when results of
that worker were already accepted unverified (a ``--verify-results`` share
below 1) is it raised, failing the job: nothing is committed. Using a closed
session or service is a caller bug and raises
``RuntimeError`` subclasses, not these.
"""

from __future__ import annotations

from oxcook.formats import OxcookError


# oxcook cook / repair / worker
EXIT_OK, EXIT_INPUT_FAILED, EXIT_USAGE, EXIT_INFRASTRUCTURE, EXIT_CANCELLED = 0, 1, 2, 3, 130
# any command whose reader went away (``oxcook inspect --json | head``): 128 + SIGPIPE, as a shell reports it
EXIT_BROKEN_PIPE = 141
# oxcook inspect
EXIT_VALID, EXIT_INVALID, EXIT_NOT_A_CONTAINER = 0, 1, 2


class ConfigError(OxcookError):
    code = "config-invalid"


class PathEscapesRoot(OxcookError):
    code = "path-escapes-root"


class RootUnusableError(OxcookError):
    code = "root-unusable"


class RootLockedError(OxcookError):
    code = "root-locked"


class OutputWriteError(OxcookError):
    code = "output-write-failed"


class BackendError(OxcookError):
    code = "backend-unreachable"


class CommitRefusedError(OxcookError):
    """What a session was about to commit does not validate: nothing is committed, the previous container stays."""

    code = "commit-invalid"


class SceneError(OxcookError):
    code = "scene-invalid"


class SceneTooLarge(SceneError):
    """A scene refused before its vertex data is read: what it would take in the coordinator is over the budget.

    Attributes:
        file: the scene file's name.
        estimate: the bytes the coordinator would hold for it (``importers._scene_budget``).
        budget: the coordinator's budget (``--memory-budget``, ``OXCOOK_MEMORY_BUDGET`` or half the machine).
    """

    code = "scene-too-large"

    def __init__(self, file: str, estimate: int, budget: int) -> None:
        from ._memory import human_size  # here, not at the top: the errors load with every command, the memory model needs the worker's

        self.file, self.estimate, self.budget = file, estimate, budget
        super().__init__(
            f"{file}: the scene would take about {human_size(estimate)} in the coordinator, "
            f"over its memory budget of {human_size(budget)} (--memory-budget); refused before its vertex data is read"
        )
class WorkerResultMismatch(OxcookError):
    """A farm worker returned bytes that differ from a cook of the same input on the coordinator."""

    code = "worker-result-mismatch"


class BuildRecordError(OxcookError):
    """A build record that is damaged, of another version, or of another root: never trusted, never fatal."""

    code = "build-record-invalid"


EXIT_FOR_CODE = {
    ConfigError.code: EXIT_USAGE,
    PathEscapesRoot.code: EXIT_USAGE,
    RootUnusableError.code: EXIT_USAGE,
    RootLockedError.code: EXIT_INFRASTRUCTURE,
    OutputWriteError.code: EXIT_INFRASTRUCTURE,
    BackendError.code: EXIT_INFRASTRUCTURE,
    CommitRefusedError.code: EXIT_INFRASTRUCTURE,
    SceneError.code: EXIT_INPUT_FAILED,
    SceneTooLarge.code: EXIT_INPUT_FAILED,
    WorkerResultMismatch.code: EXIT_INPUT_FAILED,
}
