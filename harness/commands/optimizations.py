"""``rerank-bench optimizations``: list the registry."""

from __future__ import annotations

import click
from rich.table import Table

from harness.optimization import registry
from harness.progress import stdout_console


@click.command()
def command() -> None:
    """List every optimization: stages, lossless or lossy, and availability here."""
    table = Table(title="optimizations")
    for column in ("name", "stages", "kind", "available", "conflicts with", "description"):
        table.add_column(column, overflow="fold")

    known = registry()
    for name, cls in known.items():
        reason = cls.unavailable_reason()
        # A conflict declared on either side applies both ways.
        conflicts = sorted(set(cls.conflicts) | {other for other, o in known.items() if name in o.conflicts})
        table.add_row(
            name,
            ", ".join(cls.stages),
            "lossless" if cls.lossless else "lossy",
            "yes" if reason is None else f"no: {reason}",
            ", ".join(conflicts) or "-",
            cls.description,
        )
    stdout_console().print(table)


command.name = "optimizations"
