"""``batched_scoring``: one vectorized assembly and one model call per request."""

from harness.optimization import Optimization, register
from harness.stages.assemble import AssembleBatched
from harness.stages.rank import RankArgsort
from harness.stages.score import ScoreBatched


@register
class BatchedScoring(Optimization):
    name = "batched_scoring"
    description = "build the candidate matrix with numpy and score it in one XGBoost call"
    stages = ("assemble", "score", "rank")
    lossless = True

    def apply(self, builder, runtime):
        builder.replace("assemble", AssembleBatched(runtime))
        builder.replace("score", ScoreBatched(runtime, builder.booster, builder.feature_columns))
        builder.replace("rank", RankArgsort(runtime))
