"""``feature_selection``: a second model on the top features by gain, fetching only those.

Lossy. The full model's features are ranked by XGBoost gain; a model of
the same size is trained on the top ``features`` of them and cached. The
fetch reads only the stored fields those features need (an HMGET of
named fields instead of an HGETALL), in one round trip per candidate on
the baseline's fetch or one pipelined round trip otherwise. After
``packed_features`` it keeps the packed read of whole rows.

It sets ``builder.booster``, ``builder.model_path`` and
``builder.feature_columns``, so a scorer applied after it (batched or
compiled) scores the smaller model on its columns. List it after the
layout and fetch optimizations and before the scorers.
"""

from harness.optimization import Optimization, register
from harness.stored_reads import HashReader, is_packed_fetch, use_reader
from harness.stages.fetch import FetchPerCandidate
from harness.stages.score import ScoreBatched, ScorePerCandidate
from harness.subset_model import ScoreColumnsPerCandidate, columns_by_gain, stored_inputs, subset_model


@register
class FeatureSelection(Optimization):
    name = "feature_selection"
    description = "score a model trained on the top-N features by gain; fetch only their fields"
    stages = ("fetch", "score")
    lossless = False
    defaults = {"features": 100}

    def prepare(self, runtime):
        ranked = columns_by_gain(runtime.booster, runtime.workload.feature_names)
        self.columns = sorted(ranked[: self.settings["features"]])
        spec = runtime.scenario.model
        self.booster, self.model_path = subset_model(
            runtime, self.name, self.columns, spec.trees, spec.max_depth
        )
        self.fetched_columns = stored_inputs(runtime, self.columns)

    def apply(self, builder, runtime):
        # A packed row costs 4 bytes a feature, so reading all of it stays
        # cheaper than naming fields; hashes are read field by field.
        fetch = builder.get("fetch")
        if not is_packed_fetch(fetch):
            per_candidate = isinstance(fetch, FetchPerCandidate)
            use_reader(builder, runtime, HashReader(runtime, self.fetched_columns, pipelined=not per_candidate))

        builder.booster = self.booster
        builder.model_path = self.model_path
        builder.feature_columns = self.columns
        if isinstance(builder.get("score"), ScorePerCandidate):
            builder.replace("score", ScoreColumnsPerCandidate(self.booster, self.columns))
        else:
            builder.replace("score", ScoreBatched(runtime, self.booster, self.columns))
