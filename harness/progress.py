"""Progress bars for long steps, on standard error so results stay clean."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)
# Off in tests and when standard error is not a terminal; set by the CLI.
enabled = sys.stderr.isatty()


def stdout_console() -> Console:
    """Return a console for results on standard output.

    Redirected output keeps a wide table instead of wrapping at rich's
    default of 80 columns for a non-terminal.
    """
    return Console(width=None if sys.stdout.isatty() else 200)


@contextlib.contextmanager
def task(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """Show one progress bar and yield a function that advances it."""
    if not enabled:
        yield lambda steps=1: None
        return

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        handle = progress.add_task(description, total=total)
        yield lambda steps=1: progress.advance(handle, steps)
