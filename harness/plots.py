"""Plots of one or more results, drawn with matplotlib's Agg backend into PNG bytes.

Every ``plot_*`` function takes a list of ``Labeled`` results and returns a
``Plot``, or None when no result carries the data it draws (a comparison
has no sweep curves, an older result no per-request latencies).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot's import

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from harness.report import stage_names  # noqa: E402

DPI = 110


@dataclass(frozen=True)
class Labeled:
    """A result and the label its configurations carry in plots."""

    result: dict[str, Any]
    prefix: str  # "" for a single run, else the run id and a colon


@dataclass(frozen=True)
class Plot:
    """One rendered figure."""

    key: str  # file stem and HTML anchor
    title: str
    caption: str
    png: bytes


def _render(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _finish(axis, x_label: str, y_label: str, x_log: bool = False, y_log: bool = False) -> None:
    if x_log:
        axis.set_xscale("log")
    if y_log:
        axis.set_yscale("log")
    axis.set_xlabel(x_label)
    axis.set_ylabel(y_label)
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)


def _configs(runs: list[Labeled]):
    for run in runs:
        for config in run.result.get("configs", []):
            yield run, config, f"{run.prefix}{config['name']}"


def plot_stages(runs: list[Labeled]) -> Plot | None:
    """Stacked bars of each stage's p50 per configuration, in ms and as a share."""
    rows = list(_configs(runs))
    if not rows:
        return None
    stages = []
    for run in runs:
        stages += [s for s in stage_names(run.result) if s not in stages]

    labels = [label for _, _, label in rows]
    matrix = np.array([[c["stages"].get(s, {}).get("p50_ms", 0.0) for s in stages] for _, c, _ in rows])
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)

    figure, (absolute, relative) = plt.subplots(1, 2, figsize=(12, 0.5 * len(rows) + 2), sharey=True)
    _stacked(absolute, labels, matrix, stages)
    _stacked(relative, labels, shares * 100, stages)
    absolute.set_xlabel("p50 per stage, ms (stacked)")
    relative.set_xlabel("share of the summed stage p50s, %")
    absolute.legend(loc="lower right", fontsize=8)
    caption = (
        "Each bar stacks the stages' median (p50) times; medians of consecutive stages add up "
        "to about the median total, which p95s would not."
    )
    return Plot("stages", "Time per stage", caption, _render(figure))


def _stacked(axis, labels: list[str], matrix: np.ndarray, stages: list[str]) -> None:
    left = np.zeros(len(labels))
    colors = plt.get_cmap("tab10")
    for column, stage in enumerate(stages):
        axis.barh(labels, matrix[:, column], left=left, label=stage, color=colors(column % 10))
        left += matrix[:, column]
    axis.invert_yaxis()
    axis.grid(axis="x", alpha=0.3)


def plot_cdf(runs: list[Labeled]) -> Plot | None:
    """Cumulative distribution of request latency per configuration, log time axis."""
    rows = [
        (label, np.asarray(c["latencies_ns"], dtype=float) / 1e6)
        for _, c, label in _configs(runs)
        if c.get("latencies_ns")
    ]
    if not rows:
        return None

    figure, axis = plt.subplots(figsize=(9, 5))
    for label, latencies in rows:
        ordered = np.sort(np.asarray(latencies, dtype=float))
        quantiles = np.arange(1, len(ordered) + 1) / len(ordered)
        axis.step(ordered, quantiles, where="post", label=f"{label} (n={len(ordered)})")
    axis.axhline(0.95, color="grey", linestyle=":", linewidth=1)
    _finish(axis, "request latency, ms (log scale)", "share of requests at or below", x_log=True)
    caption = "Each curve is one configuration's timed requests; the dotted line marks the 95th percentile."
    return Plot("cdf", "Latency distribution", caption, _render(figure))


def plot_frontier(runs: list[Labeled]) -> Plot | None:
    """p95 against NDCG@10 for every configuration: the speed/quality trade-off."""
    rows = [(label, c) for _, c, label in _configs(runs) if c["quality"].get("ndcg_at_10") is not None]
    if not rows:
        return None

    figure, axis = plt.subplots(figsize=(9, 5))
    for position, (label, config) in enumerate(rows):
        marker = "o" if config["lossless"] else "^"
        point = (config["total"]["p95_ms"], config["quality"]["ndcg_at_10"])
        axis.scatter(*point, marker=marker, s=50)
        # Lossless configurations share one NDCG; staggered labels stay readable.
        axis.annotate(label, point, textcoords="offset points", xytext=(5, 4 + 11 * (position % 4)), fontsize=8)
    targets = {run.result["targets"]["p95_ms"] for run in runs}
    for target in targets:
        axis.axvline(target, color="red", linestyle="--", linewidth=1, label=f"p95 target {target:g} ms")
    _finish(axis, "p95 latency, ms (log scale)", "NDCG@10", x_log=True)
    caption = "Circles are lossless configurations, triangles lossy ones; up and to the left is better."
    return Plot("frontier", "Latency against ranking quality", caption, _render(figure))


def plot_sweeps(runs: list[Labeled]) -> Plot | None:
    """p95 against the swept parameter per configuration, on log-log axes."""
    sweeps = [(run, run.result["sweep"]) for run in runs if run.result.get("sweep")]
    if not sweeps:
        return None

    figure, axes = plt.subplots(1, len(sweeps), figsize=(8 * len(sweeps), 5), squeeze=False)
    for axis, (run, sweep) in zip(axes[0], sweeps):
        for name, entry in sweep["configs"].items():
            points = [(v, p) for v, p in zip(sweep["values"], entry["p95_ms"]) if p is not None]
            exponent = "-" if entry["exponent"] is None else f"{entry['exponent']:.2f}"
            axis.plot(*zip(*points), marker="o", label=f"{run.prefix}{name} (exponent {exponent})")
        _finish(axis, f"{sweep['param']} (log scale)", "p95, ms (log scale)", x_log=True, y_log=True)
    caption = "A slope of 1 on these axes is linear growth, 0 is flat; the exponent is the fitted slope."
    return Plot("sweep", "Growth with the workload", caption, _render(figure))


def plot_load(runs: list[Labeled]) -> Plot | None:
    """Client p95 against achieved throughput per configuration, from load steps."""
    loads = [(run, run.result["load"]) for run in runs if run.result.get("load", {}).get("steps")]
    if not loads:
        return None

    figure, axis = plt.subplots(figsize=(9, 5))
    for run, load in loads:
        for config in _load_configs(load):
            steps = sorted((s for s in load["steps"] if s["config"] == config), key=lambda s: s["achieved_rps"])
            rps = [s["achieved_rps"] for s in steps]
            p95 = [s["client"]["p95_ms"] for s in steps]
            axis.plot(rps, p95, marker="o", label=f"{run.prefix}{config}")
        for target in {run.result["targets"]["p95_ms"] for run, _ in loads}:
            axis.axhline(target, color="red", linestyle="--", linewidth=1)
    _finish(axis, "achieved throughput, requests/s", "client p95, ms (log scale)", y_log=True)
    caption = "Each point is one load step; the dashed line is the p95 target. The knee is where the service saturates."
    return Plot("load", "Latency under load", caption, _render(figure))


def _load_configs(load: dict) -> list[str]:
    names = list(load.get("configs") or [])
    names += [s["config"] for s in load["steps"] if s["config"] not in names]
    return names


PLOTTERS = (plot_stages, plot_cdf, plot_frontier, plot_sweeps, plot_load)


def all_plots(runs: list[Labeled]) -> list[Plot]:
    """Return every plot the runs have data for, in reading order."""
    return [plot for plot in (plotter(runs) for plotter in PLOTTERS) if plot is not None]
