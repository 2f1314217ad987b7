"""Set up everything a command needs to run configurations of a scenario.

``open_session`` builds or loads the artifacts, starts a private Redis (or
connects to ``redis_url``), loads the feature store, prepares each
optimization and builds one pipeline per configuration. Commands such as
``compare``, ``serve`` and ``profile`` share it, so they all run the same
pipeline code.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness import artifacts as artifact_cache
from harness import feature_store, progress
from harness.errors import HarnessError
from harness.optimization import BASELINE, Configuration, check_settings, parse_configuration
from harness.pipeline import Pipeline, PipelineBuilder
from harness.redis_server import ManagedRedis, connect, parser_name, redacted_url, server_version
from harness.runtime import Runtime
from harness.scenario import Scenario
from harness.stages import baseline_stages

log = logging.getLogger(__name__)


@dataclass
class Session:
    """A ready runtime and one pipeline per configuration."""

    runtime: Runtime
    configs: list[Configuration]
    pipelines: list[Pipeline]
    redis_version: str
    redis_parser: str
    redis_target: str  # "private redis-server" or the --redis-url without its password

    def pipeline(self, name: str) -> Pipeline:
        for config, pipeline in zip(self.configs, self.pipelines):
            if config.name == name:
                return pipeline
        raise HarnessError(f"configuration {name!r} is not in this session; choose one of {[c.name for c in self.configs]}")


def parse_configurations(scenario: Scenario, names: list[str] | tuple[str, ...]) -> list[Configuration]:
    """Parse and check configuration names before anything is built."""
    check_settings(scenario.optimizations, scenario.path)
    configs = [parse_configuration(name, scenario.optimizations, scenario.path) for name in names]
    seen = set()
    for config in configs:
        if config.name in seen:
            raise HarnessError(f"configuration {config.name!r} is listed twice; list each once")
        seen.add(config.name)
    return configs


@contextlib.contextmanager
def open_session(
    scenario: Scenario,
    config_names: list[str] | tuple[str, ...],
    redis_url: str | None = None,
    cache: Path = artifact_cache.DEFAULT_CACHE,
    rebuild: bool = False,
) -> Iterator[Session]:
    """Yield a ready ``Session``; stop the private Redis on exit."""
    configs = parse_configurations(scenario, config_names)

    # Check Redis before a build that can take minutes: a missing
    # redis-server or an unreachable URL fails at once.
    server = ManagedRedis() if redis_url is None else None
    if redis_url is not None:
        connect(redis_url).close()
    built = artifact_cache.ensure_artifacts(scenario, cache, rebuild)

    with contextlib.ExitStack() as stack:
        if server is not None:
            stack.enter_context(server)
            url = server.url
        else:
            url = redis_url
        client = connect(url)
        stack.callback(client.close)

        store = feature_store.FeatureStore(client, built.key)
        _load_store(store, built)
        runtime = Runtime(scenario, built, client, url, built.retriever(), store)
        pipelines = [_build_pipeline(config, runtime) for config in configs]
        target = "private redis-server" if server is not None else redacted_url(url)
        yield Session(runtime, configs, pipelines, server_version(client), parser_name(client), target)


def _load_store(store: feature_store.FeatureStore, built: artifact_cache.Artifacts) -> None:
    workload = built.workload
    with progress.task("loading features into Redis", workload.stored.shape[0]) as advance:
        feature_store.load_hash_layout(store, workload.stored_names, workload.stored, advance)
    if workload.retailer_features is not None:
        feature_store.load_retailers(store, workload.retailer_names, workload.retailer_features)


def _build_pipeline(config: Configuration, runtime: Runtime) -> Pipeline:
    builder = PipelineBuilder(
        baseline_stages(runtime),
        client=runtime.client,
        booster=runtime.booster,
        model_path=runtime.artifacts.model_path,
    )
    for optimization in config.optimizations:
        optimization.prepare(runtime)
        optimization.apply(builder, runtime)
    return builder.build(config.name or BASELINE)
