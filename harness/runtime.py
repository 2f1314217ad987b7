"""The run-time state that stages and optimizations share: data, model, Redis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis
import xgboost as xgb

from harness.artifacts import Artifacts
from harness.feature_store import FeatureStore
from harness.scenario import Scenario
from harness.workload.base import Workload


@dataclass
class Runtime:
    """One scenario's loaded artifacts and its Redis connection."""

    scenario: Scenario
    artifacts: Artifacts
    client: redis.Redis
    redis_url: str
    retriever: Any
    store: FeatureStore
    # Objects optimizations build once and share, e.g. a compiled model.
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def workload(self) -> Workload:
        return self.artifacts.workload

    @property
    def booster(self) -> xgb.Booster:
        return self.artifacts.booster

    def new_client(self, parser: str = "hiredis", **options: Any) -> redis.Redis:
        """Open another connection pool to the same Redis, e.g. with the hiredis parser."""
        from harness.redis_server import parser_class

        defaults = {"socket_connect_timeout": 2.0, "socket_timeout": 30.0, "parser_class": parser_class(parser)}
        return redis.Redis.from_url(self.redis_url, **(defaults | options))
