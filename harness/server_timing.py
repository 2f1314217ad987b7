"""Format and parse the ``Server-Timing`` HTTP header (W3C Server Timing).

Kept free of heavy imports so Locust processes can parse the header
without loading the pipeline's libraries.
"""

from __future__ import annotations


def format_header(stage_ns: list[tuple[str, int]], total_ns: int) -> str:
    """Return ``name;dur=ms`` entries for each stage and ``total``; durations in milliseconds."""
    entries = [f"{name};dur={ns / 1e6:.3f}" for name, ns in stage_ns]
    entries.append(f"total;dur={total_ns / 1e6:.3f}")
    return ", ".join(entries)


def parse_header(value: str) -> dict[str, float]:
    """Parse a ``Server-Timing`` value into {name: milliseconds}; entries without dur are left out."""
    timings = {}
    for entry in value.split(","):
        name, _, rest = entry.strip().partition(";")
        for parameter in rest.split(";"):
            key, _, number = parameter.strip().partition("=")
            if key == "dur" and name:
                timings[name] = float(number)
    return timings
