"""The command lines' edge: project errors as one line and an exit code, tracebacks on --verbose."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from hue_errors import HueARError

_VERBOSE = "hue_ar.verbose"  # in click's ctx.meta, which every nested command shares
F = TypeVar("F", bound=Callable[..., Any])


def _remember(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_VERBOSE] = True


def verbose_option(command: F) -> F:
    """``--verbose`` on a group or command: tracebacks for errors in it and every command below."""
    option = click.option(
        "--verbose", is_flag=True, expose_value=False, callback=_remember, help="Show tracebacks for errors."
    )
    return option(command)


@contextmanager
def errors_as_exit_codes() -> Iterator[None]:
    """A project error prints ``error: <message>`` (after its traceback under ``--verbose``) and
    exits with its code (hue_errors: 2 bad input, 3 missing tool, 4 output or storage)."""
    try:
        yield
    except HueARError as exc:
        context = click.get_current_context(silent=True)
        if context is not None and context.meta.get(_VERBOSE):
            traceback.print_exc()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
