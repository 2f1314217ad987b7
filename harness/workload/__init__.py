"""Workloads: the data a scenario runs on, synthetic or real learning-to-rank."""

from harness.workload.base import Request, Workload

__all__ = ["Request", "Workload"]
