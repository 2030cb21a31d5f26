"""What the ``oxcook`` commands declare their options with, on click.

* Value types that refuse a value with a message naming it: ``Number`` (a range), ``PixelCount``,
  ``Size``, ``SourceKey``; click prints ``Invalid value for --workers: must be at least 1, not 0``.
* ``Option``: an option that errors name as oxcook's own messages do (``--workers``, unquoted),
  that help lists under its section (``section="What CI reads"``), and that excludes the
  command's other options of the same ``exclusive`` name.
* ``Argument``: a positional argument with its description in help.
* ``Command``: a command whose epilog is printed as written and that returns the
  ``argparse.Namespace`` its ``run(args)`` reads: every option under its name (``args.output``,
  ``args.log_format``), with ``args.command`` and ``args.func``.
"""

from __future__ import annotations

import argparse
import math
import uuid
from collections.abc import Callable
from pathlib import Path

import click
from click.core import ParameterSource

from oxcook.formats import is_uuid_v7


def parse_size(text: str) -> int:
    """``8G`` → bytes. Raises ValueError."""
    from oxcook.worker.cook import parse_size as parse  # its module needs numpy: only when a size is given

    return parse(text)


PATH = click.Path(path_type=Path)  # any path, as typed (commands check what they need); the shell completes files


class Number(click.ParamType):
    """A ``kind`` (int or float) within [low, high], refused with a message that says so."""

    def __init__(self, kind: type, low: float, high: float, what: str) -> None:
        self.kind, self.low, self.high, self.what = kind, low, high, what
        self.name = "integer" if kind is int else "number"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value  # a default, as declared
        try:
            number = self.kind(value)
        except ValueError:
            self.fail(f"{value!r} is not a {'whole number' if self.kind is int else 'number'}", param, ctx)
        if not self.low <= number <= self.high:
            self.fail(f"must be {self.what}, not {value}", param, ctx)
        return number


POSITIVE_INT = Number(int, 1, 2**31, "at least 1")
SECONDS = Number(float, 0.0, 1e9, "0 or more seconds")
FRACTION = Number(float, 0.0, 1.0, "between 0 and 1")
FLOAT = Number(float, -math.inf, math.inf, "a number")  # not NaN; a gate's range is checked with the manifest's


class PixelCount(click.ParamType):
    """``4096x4096``, ``16M`` or ``0`` (never) → pixels."""

    name = "pixels"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        width, sep, height = value.lower().partition("x")
        try:
            if sep:
                return int(width) * int(height)
            return 0 if value.strip() == "0" else parse_size(value)
        except ValueError:
            self.fail(f"{value!r} is not a pixel count (WIDTHxHEIGHT, a number with K or M, or 0)", param, ctx)


class Size(click.ParamType):
    """``8G`` → bytes."""

    name = "size"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return parse_size(value)
        except ValueError:
            self.fail(f"{value!r} is not a size (bytes, or with K, M, G or T)", param, ctx)


class SourceKey(click.ParamType):
    """A UUIDv7 (the engine's source key rule) → its 16 bytes."""

    name = "uuid"

    def convert(self, value, param, ctx):
        try:
            key = uuid.UUID(value).bytes
        except ValueError:
            self.fail(f"{value!r} is not a UUID", param, ctx)
        if not is_uuid_v7(key):
            self.fail(f"{value} is not a UUIDv7 (the engine's source key rule, spec §1.6)", param, ctx)
        return key


class Option(click.Option):
    """An option declared as ``Option("-o", "--output", ...)``, listed under ``section`` in help; of the
    options of one ``exclusive`` name, a command line may give one."""

    def __init__(self, *decls: str, section: str = "Options", exclusive: str | None = None, **attrs) -> None:
        super().__init__(decls, **attrs)
        self.section, self.exclusive = section, exclusive

    def get_error_hint(self, ctx) -> str:
        return " / ".join(self.opts)  # --workers, as oxcook's own messages name options


class Argument(click.Argument):
    """A positional argument with a ``description``, listed under "Arguments" in help."""

    def __init__(self, name: str, *, description: str, **attrs) -> None:
        super().__init__([name], **attrs)
        self.description = description


class Command(click.Command):
    """One ``oxcook`` command: parsing returns the Namespace ``run`` reads (``main`` runs it)."""

    def __init__(self, name: str, run: Callable[[argparse.Namespace], int], **attrs) -> None:
        def parsed(**params) -> argparse.Namespace:
            values = {key: list(value) if isinstance(value, tuple) else value for key, value in params.items()}
            return argparse.Namespace(command=name, func=run, **values)

        super().__init__(name, callback=parsed, **attrs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        given: dict[str, list[str]] = {}
        for param in self.params:
            if getattr(param, "exclusive", None) and ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE:
                given.setdefault(param.exclusive, []).append(max(param.opts, key=len))
        for names in given.values():
            if len(names) > 1:
                raise click.UsageError(f"{', '.join(names[:-1])} and {names[-1]}: give only one of them", ctx)
        return rest

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            if isinstance(param, Argument):
                sections["Arguments"].append((param.human_readable_name + ("..." if param.nargs != 1 else ""), param.description))
            elif isinstance(param, click.Option) and (record := param.get_help_record(ctx)) is not None:
                sections.setdefault(getattr(param, "section", "Options"), []).append(record)
        for title, records in sections.items():
            if not records:
                continue
            with formatter.section(title):
                formatter.write_dl(records)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.epilog:  # as written: its tables and indented paragraphs are not rewrapped
            formatter.write_paragraph()
            formatter.write(self.epilog.rstrip("\n") + "\n")
