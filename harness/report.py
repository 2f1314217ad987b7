"""Render a result as a terminal table and as ``report.md``."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from harness.pipeline import STAGES


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _ratio(speedup: dict | None) -> str:
    if not speedup:
        return "-"
    low, high = speedup["ci"]
    return f"{speedup['ratio']:.2f}x [{low:.2f}, {high:.2f}]"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _yes(value: bool | None, uncertain: bool = False) -> str:
    if value is None:
        return "-"
    word = "yes" if value else "no"
    return f"{word}?" if uncertain else word


UNCERTAIN_NOTE = "'?' marks a verdict whose bar lies inside the 95% interval: more samples may flip it."
VERDICTS = ("meets_p95_target", "quick_win", "architectural")


def stage_names(result: dict[str, Any]) -> list[str]:
    """Return the standard stages, then any inserted ones, in first-seen order."""
    names = list(STAGES)
    for config in result["configs"]:
        for name in config["stages"]:
            if name not in names:
                names.append(name)
    return names


def rows(result: dict[str, Any]) -> list[list[str]]:
    """Return one table row per configuration, fastest p95 first."""
    stages = stage_names(result)
    ordered = sorted(result["configs"], key=lambda c: c["total"]["p95_ms"])
    table = []
    for config in ordered:
        quality = config["quality"]
        verdicts = config["verdicts"]
        uncertain = set(config.get("uncertain_verdicts", []))
        table.append(
            [
                config["name"],
                "lossless" if config["lossless"] else "lossy",
                str(config["samples"]),
                _ms(config["total"]["p50_ms"]),
                f"{_ms(config['total']['p95_ms'])} [{_ms(config['total']['p95_ci_ms'][0])}, {_ms(config['total']['p95_ci_ms'][1])}]",
                _ms(config["total"]["p99_ms"]),
                *[_ms(config["stages"].get(stage, {}).get("p95_ms")) for stage in stages],
                _ratio(config["speedup_p95"]),
                "-" if quality["ndcg_at_10"] is None else f"{quality['ndcg_at_10']:.4f}",
                _share(quality["top10_overlap"]),
                _share(quality["identical_ranking_rate"]),
                _yes(verdicts["meets_p95_target"], "meets_p95_target" in uncertain),
                _yes(verdicts["quick_win"], "quick_win" in uncertain),
                _yes(verdicts["architectural"], "architectural" in uncertain),
            ]
        )
    return table


def headers(result: dict[str, Any]) -> list[str]:
    targets = result["targets"]
    return [
        "configuration", "kind", "n", "p50 ms", "p95 ms [95% CI]", "p99 ms",
        *[f"{stage} p95" for stage in stage_names(result)],
        "speedup p95 [95% CI]", "NDCG@10", "top-10 overlap", "identical",
        f"<= {targets['p95_ms']:g} ms",
        f"-{targets['quick_win_reduction']:.0%}",
        f"{targets['architectural_speedup']:g}x",
    ]


def print_table(result: dict[str, Any], console: Console) -> None:
    """Print a compact summary, the time per stage, and any warnings."""
    ordered = sorted(result["configs"], key=lambda c: c["total"]["p95_ms"])
    console.print(_summary_table(result, ordered))
    console.print(_stage_table(result, ordered))
    console.print(f"Targets: {_target_legend(result)}. {UNCERTAIN_NOTE}")

    for line in warning_lines(result):
        console.print(f"[yellow]warning:[/yellow] {line}")
    if not result["complete"]:
        console.print(f"[red]incomplete run:[/red] {result['stopped']}")


def _summary_table(result: dict[str, Any], ordered: list[dict]) -> Table:
    targets = result["targets"]
    verdict_header = (
        f"p95<={targets['p95_ms']:g} / -{targets['quick_win_reduction']:.0%} / {targets['architectural_speedup']:g}x"
    )
    table = Table(title=f"{result['scenario']['name']}: {result['run_id']} (ms)")
    for name in ("configuration", "p50", "p95 [95% CI]", "speedup p95 [95% CI]", "NDCG@10", "identical", verdict_header):
        table.add_column(name, overflow="fold")
    for config in ordered:
        total, quality = config["total"], config["quality"]
        uncertain = set(config.get("uncertain_verdicts", []))
        verdicts = [_yes(config["verdicts"][name], name in uncertain) for name in VERDICTS]
        table.add_row(
            config["name"],
            _ms(total["p50_ms"]),
            f"{_ms(total['p95_ms'])} [{_ms(total['p95_ci_ms'][0])}, {_ms(total['p95_ci_ms'][1])}]",
            _ratio(config["speedup_p95"]),
            "-" if quality["ndcg_at_10"] is None else f"{quality['ndcg_at_10']:.4f}",
            _share(quality["identical_ranking_rate"]),
            " / ".join(verdicts),
        )
    return table


def _target_legend(result: dict[str, Any]) -> str:
    targets = result["targets"]
    return (
        f"p95<={targets['p95_ms']:g} is the p95 target in ms, -{targets['quick_win_reduction']:.0%} "
        f"the quick win (p95 at least {targets['quick_win_reduction']:.0%} below the baseline's), "
        f"{targets['architectural_speedup']:g}x the architectural bar (paired p95 speedup)"
    )


def _stage_table(result: dict[str, Any], ordered: list[dict]) -> Table:
    stages = stage_names(result)
    table = Table(title="time by stage, p50 / p95 (ms)")
    table.add_column("configuration", overflow="fold")
    table.add_column("samples")
    for stage in stages:
        table.add_column(stage, overflow="fold")
    for config in ordered:
        cells = []
        for stage in stages:
            summary = config["stages"].get(stage)
            cells.append("-" if summary is None else f"{_ms(summary['p50_ms'])} / {_ms(summary['p95_ms'])}")
        table.add_row(config["name"], str(config["samples"]), *cells)
    return table


def warning_lines(result: dict[str, Any]) -> list[str]:
    return [f"{config['name']}: {w}" for config in result["configs"] for w in config.get("warnings", [])]


def markdown(result: dict[str, Any]) -> str:
    """Return ``report.md`` for one result."""
    env = result["environment"]
    shape = result["scenario"]["shape"]
    lines = [
        f"# rerank-bench run {result['run_id']}",
        "",
        f"- Scenario: `{result['scenario']['name']}` ({result['scenario']['path']})",
        f"- Created: {result['created_at']}; complete: {'yes' if result['complete'] else 'no'}",
        f"- Workload: {shape['candidates']} candidates, {shape['model_features']} model features "
        f"({shape['stored_features']} stored), {shape['trees']} trees of depth {shape['max_depth']}, "
        f"top {shape['top_k']}",
        f"- Machine: {env['cpu']}, {env['cores']} cores, Python {env['python']}, Redis {env['redis_version']} "
        f"({env['redis_parser']} parser), commit {env['git_commit']}",
        "",
    ]
    if not result["complete"]:
        lines += [f"**Incomplete run:** {result['stopped']}", ""]

    lines += _markdown_table(headers(result), rows(result))
    lines += tradeoff_section(result)
    warnings = warning_lines(result)
    if warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in warnings]
    lines += [
        "",
        "Latencies in milliseconds. Speedups are paired per request against the baseline. "
        f"Quality is measured on the requests every configuration ran. {UNCERTAIN_NOTE}",
    ]
    return "\n".join(lines) + "\n"


def tradeoff_rows(result: dict[str, Any]) -> list[list[str]]:
    """Return one row per lossy configuration: latency against ranking quality, fastest first.

    The NDCG change is relative to the baseline's NDCG on the same queries
    (``baseline_ndcg_at_10``), so both averages cover the same requests.
    """
    lossy = [c for c in result["configs"] if not c["lossless"]]
    table = []
    for config in sorted(lossy, key=lambda c: c["total"]["p95_ms"]):
        quality = config["quality"]
        ndcg, base = quality["ndcg_at_10"], quality.get("baseline_ndcg_at_10")
        change = None if ndcg is None or not base else (ndcg - base) / base
        table.append(
            [
                config["name"],
                _ms(config["total"]["p95_ms"]),
                _ratio(config["speedup_p95"]),
                "-" if ndcg is None else f"{ndcg:.4f}",
                "-" if base is None else f"{base:.4f}",
                "-" if change is None else f"{change:+.2%}",
                _share(quality["top10_overlap"]),
                str(quality["queries"]),
            ]
        )
    return table


def tradeoff_section(result: dict[str, Any]) -> list[str]:
    """Return the report's latency-versus-NDCG section, or nothing without lossy configurations."""
    body = tradeoff_rows(result)
    if not body:
        return []
    header = [
        "configuration", "p95 ms", "speedup p95 [95% CI]", "NDCG@10", "baseline NDCG@10",
        "NDCG change", "top-10 overlap", "queries",
    ]
    intro = (
        "Lossy configurations, fastest first. NDCG change is relative to the baseline's NDCG@10 "
        "on the same queries; top-10 overlap is the mean share of the baseline's top 10 kept."
    )
    return ["", "## Latency versus ranking quality", "", intro, ""] + _markdown_table(header, body)


def _markdown_table(header: list[str], body: list[list[str]]) -> list[str]:
    escape = lambda cell: cell.replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(escape(c) for c in row) + " |" for row in body]
    return out
