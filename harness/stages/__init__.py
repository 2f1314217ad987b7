"""Stage implementations: the naive baseline and the shared vectorized forms.

One module per stage: ``retrieve``, ``fetch``, ``assemble``, ``score`` and
``rank``. ``baseline_stages`` builds the naive path every configuration
starts from.
"""

from __future__ import annotations

from harness.runtime import Runtime
from harness.stages.assemble import AssemblePerCandidate
from harness.stages.fetch import FetchPerCandidate
from harness.stages.rank import RankSorted
from harness.stages.retrieve import Retrieve
from harness.stages.score import ScorePerCandidate


def baseline_stages(runtime: Runtime) -> list:
    """Return the five naive stages, in order."""
    return [
        Retrieve(runtime),
        FetchPerCandidate(runtime),
        AssemblePerCandidate(runtime),
        ScorePerCandidate(runtime),
        RankSorted(runtime),
    ]
