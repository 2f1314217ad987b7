"""The visual report: every plot, valid self-contained HTML, profile links, comparability."""

from __future__ import annotations

import copy
import dataclasses
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness import cli, html_report
from harness.compare import run_compare
from harness.results import read_result, write_json_atomic
from harness.sweep import sweep_result

PLOT_KEYS = ("stages", "cdf", "frontier", "sweep", "load")
VOID = {"meta", "img", "br", "hr", "link", "input", "source", "col", "area", "base", "wbr"}
EXTERNAL = ("http://", "https://", "//", "ftp://")


class PageParser(HTMLParser):
    """Collect images, links and tag nesting errors of one page."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []
        self.images: list[dict] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.add(tag)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "img":
            self.images.append(attributes)
        if tag == "a":
            self.links.append(attributes.get("href", ""))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1] if self.open else 'nothing'}")
            return
        self.open.pop()


def _load_section() -> dict:
    steps = []
    for config, base_ms in (("baseline", 300.0), ("pipelined_reads+batched_scoring", 20.0)):
        for users in (1, 2, 4):
            steps.append({
                "config": config, "users": users, "spawn_rate": users, "duration_s": 5, "requests": 50 * users,
                "failures": 0, "achieved_rps": users * 1000 / base_ms / 2,
                "client": {"p50_ms": base_ms * users * 0.6, "p95_ms": base_ms * users, "p99_ms": base_ms * users * 1.2,
                           "max_ms": base_ms * users * 1.5},
                "locust_p95_ms": base_ms * users, "server_stages": {},
            })
    return {
        "target": "http://127.0.0.1:8000", "workers": 1, "processes": 1,
        "configs": ["baseline", "pipelined_reads+batched_scoring"], "steps": steps,
        "saturation": {"baseline": {"max_rps_meeting_target": 2.0, "errors_start_rps": None}},
        "throughput_ratio_at_target": {},
    }


@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory, smoke_scenario, redis_server, cache_dir) -> list[Path]:
    """A real smoke comparison, the same with a hand-made load section, and a sweep made from it."""
    results = tmp_path_factory.mktemp("results")
    scenario = dataclasses.replace(smoke_scenario, run=dataclasses.replace(smoke_scenario.run, time_budget_s=0.05, min_samples=6))
    result, folder = run_compare(scenario, None, redis_server.url, cache_dir, results, "smoke-run")
    (folder / "profile-baseline.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'></svg>")

    loaded = copy.deepcopy(result) | {"run_id": "smoke-load", "load": _load_section()}
    write_json_atomic(results / "smoke-load" / "result.json", loaded)

    halved = copy.deepcopy(result)
    for config in halved["configs"]:
        config["total"]["p95_ms"] /= 2
    swept = sweep_result("smoke-sweep", "candidates", [30, 60], [halved | {"run_id": "candidates-30"}, result], 1.0)
    write_json_atomic(results / "smoke-sweep" / "result.json", swept)
    return [folder, results / "smoke-load", results / "smoke-sweep"]


@pytest.fixture(scope="module")
def written(smoke_runs, tmp_path_factory):
    output = tmp_path_factory.mktemp("report")
    runs = html_report.load_runs(smoke_runs)
    page, text = html_report.write_report(runs, output)
    parser = PageParser()
    parser.feed(page.read_text())
    parser.close()
    return output, page, text, parser


def test_compare_result_keeps_latencies(smoke_runs):
    result = read_result(smoke_runs[0])
    for config in result["configs"]:
        assert len(config["latencies_ns"]) == config["samples"], config["name"]


def test_report_page_has_every_plot(written):
    _, _, _, parser = written
    for key in PLOT_KEYS:
        assert key in parser.ids, f"plot {key} missing"


def test_report_images_are_inline_png(written):
    _, _, _, parser = written
    assert len(parser.images) == len(PLOT_KEYS)
    for image in parser.images:
        assert image["src"].startswith("data:image/png;base64,"), image["src"][:40]


def test_report_page_nests_tags(written):
    _, _, _, parser = written
    assert parser.errors == []
    assert parser.open == []


def test_report_page_has_no_external_references(written):
    _, page, _, parser = written
    text = page.read_text()
    assert "script" not in parser.tags
    assert "link" not in parser.tags
    assert "@import" not in text
    assert "url(" not in text
    for href in parser.links:
        assert not href.startswith(EXTERNAL), href


def test_report_links_flame_graph(written, smoke_runs):
    output, _, _, parser = written
    flame = [href for href in parser.links if href.endswith("profile-baseline.svg")]
    assert len(flame) == 1
    assert (output / flame[0]).resolve() == (smoke_runs[0] / "profile-baseline.svg").resolve()


def test_markdown_report_refers_to_every_plot(written):
    output, _, text, _ = written
    markdown = text.read_text()
    for key in PLOT_KEYS:
        assert f"(plots/{key}.png)" in markdown, key
        assert (output / "plots" / f"{key}.png").is_file(), key


def test_report_comparable_runs_have_no_warning(written):
    _, page, _, _ = written
    assert "Not comparable" not in page.read_text()


def test_report_flags_other_package_versions(smoke_runs, tmp_path):
    other = read_result(smoke_runs[0]) | {"run_id": "elsewhere"}
    other["environment"] = other["environment"] | {"packages": other["environment"]["packages"] | {"xgboost": "0.1"}}
    write_json_atomic(tmp_path / "elsewhere" / "result.json", other)

    runs = html_report.load_runs([smoke_runs[0], tmp_path / "elsewhere"])
    page, _ = html_report.write_report(runs, tmp_path / "report")

    text = page.read_text()
    assert "Not comparable" in text
    assert "xgboost: " in text


def test_report_command_writes_into_run_folder(smoke_runs, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["rerank-bench", "-q", "report", str(smoke_runs[1])])
    with pytest.raises(SystemExit) as exited:
        cli.main()

    assert exited.value.code == 0
    assert (smoke_runs[1] / "report.html").is_file()
    assert (smoke_runs[1] / "plots" / "load.png").is_file()
