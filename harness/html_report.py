"""The visual report of one or more runs: a self-contained HTML page and its Markdown twin.

The HTML page embeds every plot as a base64 PNG ``data:`` URI and its style
inline, and loads no script, font or stylesheet, so it renders the same
offline, attached to a ticket or opened from an archive. The Markdown
report refers to the same plots as PNG files next to it.
"""

from __future__ import annotations

import base64
import html
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import environment, plots
from harness.report import headers, markdown, rows, warning_lines
from harness.results import read_result, write_text_atomic
from harness.sweep import sweep_markdown

log = logging.getLogger(__name__)

PROFILE_PATTERNS = ("profile-*.svg", "profile-*.speedscope.json")
STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #ddd; }
.warning { background: #fff3cd; border: 1px solid #e0c060; padding: 0.5em 1em; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; }
"""


@dataclass(frozen=True)
class Run:
    """One run folder and its result."""

    folder: Path
    result: dict[str, Any]

    @property
    def run_id(self) -> str:
        return self.result["run_id"]


def load_runs(paths: list[Path]) -> list[Run]:
    """Read each run's ``result.json``; a path may be the folder or the file."""
    runs = []
    for path in paths:
        folder = path if path.is_dir() else path.parent
        runs.append(Run(folder, read_result(path)))
    return runs


def comparability(runs: list[Run]) -> list[str]:
    """Return one line per run whose machine or packages differ from the first run's."""
    first = runs[0]
    lines = []
    for run in runs[1:]:
        differences = environment.comparable(first.result["environment"], run.result["environment"])
        if differences:
            lines.append(f"{run.run_id} is not comparable with {first.run_id}: {'; '.join(differences)}")
    return lines


def profiles(run: Run) -> list[Path]:
    """Return the flame graphs, speedscope files and profile summaries in a run's folder."""
    found = []
    for pattern in (*PROFILE_PATTERNS, "profile-summary-*.md"):
        found += sorted(run.folder.glob(pattern))
    return found


def labeled(runs: list[Run]) -> list[plots.Labeled]:
    prefix = len(runs) > 1
    return [plots.Labeled(run.result, f"{run.run_id}: " if prefix else "") for run in runs]


def write_report(runs: list[Run], output: Path) -> tuple[Path, Path]:
    """Draw the plots and write ``report.html``, ``visual-report.md`` and ``plots/*.png`` into ``output``."""
    drawn = plots.all_plots(labeled(runs))
    plot_folder = output / "plots"
    plot_folder.mkdir(parents=True, exist_ok=True)
    for plot in drawn:
        (plot_folder / f"{plot.key}.png").write_bytes(plot.png)

    page = output / "report.html"
    text = output / "visual-report.md"
    write_text_atomic(page, html_page(runs, drawn, output))
    write_text_atomic(text, markdown_report(runs, drawn, output))
    log.info("report of %d run%s written to %s", len(runs), "" if len(runs) == 1 else "s", page)
    return page, text


def html_page(runs: list[Run], drawn: list[plots.Plot], output: Path) -> str:
    """Return the self-contained HTML page."""
    title = "rerank-bench report: " + ", ".join(run.run_id for run in runs)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
    ]
    parts += _html_comparability(runs)
    for run in runs:
        parts += _html_run(run, output)
    for plot in drawn:
        encoded = base64.b64encode(plot.png).decode("ascii")
        parts += [
            f'<h2 id="{plot.key}">{_e(plot.title)}</h2>',
            f'<img src="data:image/png;base64,{encoded}" alt="{_e(plot.title)}">',
            f"<p>{_e(plot.caption)}</p>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_comparability(runs: list[Run]) -> list[str]:
    lines = comparability(runs)
    if not lines:
        return []
    items = "".join(f"<li>{_e(line)}</li>" for line in lines)
    return [f'<div class="warning"><strong>Not comparable:</strong><ul>{items}</ul></div>']


def _html_run(run: Run, output: Path) -> list[str]:
    result = run.result
    scenario = result["scenario"]
    parts = [
        f"<h2>Run {_e(run.run_id)}</h2>",
        f"<p>Scenario <code>{_e(scenario['name'])}</code>, created {_e(result['created_at'])}, "
        f"complete: {'yes' if result['complete'] else 'no'}. Machine: {_e(_machine(result))}.</p>",
    ]
    if not result["complete"]:
        parts.append(f'<p class="warning">Incomplete run: {_e(str(result.get("stopped")))}</p>')
    if result["configs"]:
        parts.append(_html_table(headers(result), rows(result)))
    if result.get("sweep"):
        parts.append(_html_table(*_sweep_table(result["sweep"])))
    if result.get("load", {}).get("steps"):
        parts.append(_html_table(*_load_table(result["load"])))
    warnings = warning_lines(result)
    if warnings:
        parts.append("<ul>" + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>")
    parts += _html_profiles(run, output)
    return parts


def _machine(result: dict) -> str:
    env = result["environment"]
    return f"{env.get('cpu')}, {env.get('cores')} cores, Python {env.get('python')}, commit {env.get('git_commit')}"


def _html_table(header: list[str], body: list[list[str]]) -> str:
    head = "".join(f"<th>{_e(cell)}</th>" for cell in header)
    lines = "".join("<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>" for row in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"


def _sweep_table(sweep: dict) -> tuple[list[str], list[list[str]]]:
    header = ["configuration", *[f"p95 ms at {sweep['param']}={v}" for v in sweep["values"]], "exponent"]
    body = []
    for name, entry in sweep["configs"].items():
        cells = ["-" if p is None else f"{p:.1f}" for p in entry["p95_ms"]]
        exponent = "-" if entry["exponent"] is None else f"{entry['exponent']:.2f}"
        body.append([name, *cells, exponent])
    return header, body


def _load_table(load: dict) -> tuple[list[str], list[list[str]]]:
    header = ["configuration", "users", "achieved req/s", "client p95 ms", "failures", "max req/s meeting target"]
    saturation = load.get("saturation") or {}
    body = []
    for step in load["steps"]:
        best = (saturation.get(step["config"]) or {}).get("max_rps_meeting_target")
        body.append([
            step["config"], str(step["users"]), f"{step['achieved_rps']:.1f}", f"{step['client']['p95_ms']:.1f}",
            str(step["failures"]), "-" if best is None else f"{best:.1f}",
        ])
    return header, body


def _html_profiles(run: Run, output: Path) -> list[str]:
    found = profiles(run)
    if not found:
        return []
    links = "".join(f'<li><a href="{_e(_relative(path, output))}">{_e(path.name)}</a></li>' for path in found)
    parts = [f"<h3>Profiles</h3><ul>{links}</ul>"]
    for summary in (p for p in found if p.suffix == ".md"):
        parts.append(f"<pre>{_e(summary.read_text())}</pre>")
    return parts


def _relative(path: Path, output: Path) -> str:
    return Path(os.path.relpath(path.resolve(), output.resolve())).as_posix()


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def markdown_report(runs: list[Run], drawn: list[plots.Plot], output: Path) -> str:
    """Return the Markdown report: each run's tables, the plots as files, profile links."""
    lines = ["# rerank-bench report", ""]
    for line in comparability(runs):
        lines.append(f"**Not comparable:** {line}")
    for run in runs:
        lines += ["", _demote(_run_markdown(run.result))]
        lines += _markdown_profiles(run, output)
    for plot in drawn:
        lines += ["", f"## {plot.title}", "", f"![{plot.title}](plots/{plot.key}.png)", "", plot.caption]
    return "\n".join(lines) + "\n"


def _demote(text: str) -> str:
    # Each run's own report starts at level 1; inside this report it is a section.
    return "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())


def _run_markdown(result: dict) -> str:
    text = markdown(result) if result["configs"] else ""
    if result.get("sweep"):
        text += sweep_markdown(result)
    if result.get("load", {}).get("steps"):
        header, body = _load_table(result["load"])
        text += "\n| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
        text += "".join("| " + " | ".join(row) + " |\n" for row in body)
    return text


def _markdown_profiles(run: Run, output: Path) -> list[str]:
    found = profiles(run)
    if not found:
        return []
    lines = ["", "Profiles:", ""] + [f"- [{path.name}]({_relative(path, output)})" for path in found]
    for summary in (p for p in found if p.suffix == ".md"):
        lines += ["", _demote(summary.read_text())]
    return lines
