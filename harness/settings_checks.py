"""Checks of optimization settings, one clear error per invalid value."""

from __future__ import annotations

from harness.errors import HarnessError


def check_positive(name: str, key: str, value, scenario_path: str, integer: bool = True) -> None:
    """Raise ``HarnessError`` unless ``value`` is a positive number (a whole one if ``integer``)."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        expected = "a whole number of at least 1" if integer else "a number above 0"
        raise HarnessError(
            f"scenario {scenario_path}: [optimizations.{name}] {key} = {value!r} is invalid; use {expected}"
        )
