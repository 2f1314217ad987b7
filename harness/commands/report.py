"""``rerank-bench report``: an HTML page and a Markdown report with plots for one or more runs."""

from __future__ import annotations

import time
from pathlib import Path

import click

from harness import html_report
from harness.progress import stdout_console


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for report.html, visual-report.md and plots/. "
                   "Default: the run's folder for one run, results/report-<time> for several.")
def command(runs, output) -> None:
    """Draw plots and write a self-contained HTML report of RUN... (results/<run-id> folders)."""
    loaded = html_report.load_runs(list(runs))
    output = output or _default_output(loaded)
    page, text = html_report.write_report(loaded, output)

    console = stdout_console()
    for line in html_report.comparability(loaded):
        console.print(f"[yellow]warning:[/yellow] {line}")
    console.print(f"report: {page} and {text}")


def _default_output(runs: list[html_report.Run]) -> Path:
    if len(runs) == 1:
        return runs[0].folder
    return runs[0].folder.parent / f"report-{time.strftime('%Y%m%d-%H%M%S')}"


command.name = "report"
