"""``report.md`` of a load run: p95 against offered load, and saturation."""

from __future__ import annotations

from typing import Any


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _rps(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.2f}"


def _ratio_line(ratio: dict[str, Any], saturation: dict[str, dict]) -> str:
    names = f"{ratio['numerator']} over {ratio['denominator']}"
    if ratio["ratio"] is not None:
        return f"Throughput ratio at the target, {names}: {ratio['ratio']:.2f}x."
    missing = [n for n in (ratio["numerator"], ratio["denominator"]) if saturation[n]["max_rps_meeting_target"] is None]
    return f"Throughput ratio at the target, {names}: undefined, because {' and '.join(missing)} met the target at no load tried."


def markdown(result: dict[str, Any]) -> str:
    """Return ``report.md`` for one load result."""
    load = result["load"]
    env = result["environment"]
    target = result["targets"]["p95_ms"]
    lines = [
        f"# rerank-bench load run {result['run_id']}",
        "",
        f"- Scenario: `{result['scenario']['name']}` ({result['scenario']['path']})",
        f"- Target: {load['target']}, {load['workers'] or 'unknown'} service workers, "
        f"{load['processes']} Locust processes; configurations {', '.join(load['configs'])}",
        f"- Machine: {env['cpu']}, {env['cores']} cores, Python {env['python']}, Redis {env['redis_version']}, "
        f"commit {env['git_commit']}",
        f"- Run: {result['stopped']}",
        "",
        "## p95 against offered load",
        "",
        "| config | users | requests | failures | achieved rps | p50 | p95 | p99 | max | Locust p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for step in load["steps"]:
        client = step["client"] or {}
        lines.append(
            f"| {step['config']} | {step['users']} | {step['requests']} | {step['failures']} | "
            f"{step['achieved_rps']:.2f} | {_ms(client.get('p50_ms'))} | {_ms(client.get('p95_ms'))} | "
            f"{_ms(client.get('p99_ms'))} | {_ms(client.get('max_ms'))} | {_ms(step['locust_p95_ms'])} |"
        )

    lines += ["", f"## Saturation (p95 target {target:g} ms)", "",
              "| config | highest rps meeting the target | rps where errors start | highest rps achieved |",
              "|---|---|---|---|"]
    for config, point in load["saturation"].items():
        lines.append(
            f"| {config} | {_rps(point['max_rps_meeting_target'])} | {_rps(point['errors_start_rps'])} "
            f"| {_rps(point.get('max_achieved_rps'))} |"
        )

    ratio = load.get("throughput_ratio_at_target")
    if ratio:
        lines += ["", _ratio_line(ratio, load["saturation"])]
    peak = load.get("peak_throughput_ratio")
    if peak and peak["ratio"] is not None:
        lines += [
            "",
            f"Highest throughput achieved at any load: {peak['numerator']} / {peak['denominator']} = {peak['ratio']:.2f}x.",
        ]
    if load.get("warnings"):
        lines += ["", "## Warnings", ""] + [f"- {warning}" for warning in load["warnings"]]
    lines += ["", "Latencies in milliseconds as the Locust clients measured them, from every request's exact value; "
              "Locust p95 is Locust's own figure from 10 ms buckets (100 ms buckets above 1 s)."]
    return "\n".join(lines) + "\n"
