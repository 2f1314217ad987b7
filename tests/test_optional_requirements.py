"""An optimization whose optional module fails to import is listed as unavailable."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from harness import optimization
from harness.commands.optimizations import command
from harness.errors import HarnessError
from harness.optimization import Optimization, parse_configuration, registry


class _NeedsMissingModule(Optimization):
    name = "needs_missing_module"
    description = "test entry whose requirement cannot import"
    stages = ("score",)
    lossless = True
    requires = ("module_that_does_not_exist_here",)


@pytest.fixture()
def broken_entry():
    registry()  # discover the real optimizations first
    optimization._REGISTRY[_NeedsMissingModule.name] = _NeedsMissingModule
    yield _NeedsMissingModule
    del optimization._REGISTRY[_NeedsMissingModule.name]


def test_listing_shows_reason(broken_entry):
    output = CliRunner(env={"COLUMNS": "400"}).invoke(command, []).output
    assert "module_that_does_not_exist_here" in output


def test_listing_keeps_other_entries(broken_entry):
    output = CliRunner(env={"COLUMNS": "400"}).invoke(command, []).output
    assert "numba_forest" in output
    assert "treelite_compiled" in output


def test_unavailable_entry_rejected_in_configuration(broken_entry):
    with pytest.raises(HarnessError, match="unavailable"):
        parse_configuration("needs_missing_module")


@pytest.mark.parametrize("name", ["numba_forest", "treelite_compiled", "treelite_gtil", "quantized_features"])
def test_installed_requirements_available(name):
    assert registry()[name].unavailable_reason() is None
