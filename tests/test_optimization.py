"""The optimization contract: conflicts, availability and composition."""

from __future__ import annotations

import pytest

from harness import optimization
from harness.errors import HarnessError
from harness.optimization import Optimization, parse_configuration, registry


@pytest.fixture()
def isolated_registry(monkeypatch):
    """A registry with two test-only optimizations that conflict, and one that cannot import.

    The real optimizations do not all conflict with each other, so the
    conflict rule is checked on stand-ins registered only for this test.
    """
    entries = dict(registry())

    class Left(Optimization):
        name, description, stages, lossless = "left", "test stand-in", ("fetch",), True
        conflicts = ("right",)

    class Right(Optimization):
        name, description, stages, lossless = "right", "test stand-in", ("fetch",), True

    class Broken(Optimization):
        name, description, stages, lossless = "broken", "test stand-in", ("score",), True
        requires = ("module_that_does_not_exist_anywhere",)

    entries.update(left=Left, right=Right, broken=Broken)
    monkeypatch.setattr(optimization, "_REGISTRY", entries)
    return entries


def test_registry_lists_first_optimizations():
    names = registry()
    assert "pipelined_reads" in names
    assert "batched_scoring" in names


def test_every_optimization_declares_contract():
    for name, cls in registry().items():
        assert cls.name == name
        assert cls.description
        assert cls.stages
        assert isinstance(cls.lossless, bool)


def test_conflict_names_both(isolated_registry):
    with pytest.raises(HarnessError, match="'right' and 'left' conflict in configuration 'right\\+left'"):
        parse_configuration("right+left")


def test_unavailable_optimization_gives_reason(isolated_registry):
    reason = isolated_registry["broken"].unavailable_reason()
    assert "module_that_does_not_exist_anywhere" in reason
    with pytest.raises(HarnessError, match="'broken' is unavailable on this machine"):
        parse_configuration("broken")


def test_unavailable_leaves_others_usable(isolated_registry):
    config = parse_configuration("pipelined_reads+batched_scoring")
    assert config.names == ["pipelined_reads", "batched_scoring"]
    assert config.lossless


def test_unknown_setting_rejected():
    with pytest.raises(HarnessError, match=r"unknown key 'speed' in \[optimizations.pipelined_reads\]"):
        parse_configuration("pipelined_reads", {"pipelined_reads": {"speed": 2}})


def test_baseline_has_no_optimizations():
    config = parse_configuration("baseline")
    assert config.optimizations == ()
    assert config.lossless
