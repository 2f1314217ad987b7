"""``treelite_gtil``: the model run by treelite's GTIL interpreter, no compiler needed.

Replaces the ``score`` stage only; list it after ``batched_scoring``.
"""

from harness.optimization import Optimization, register
from harness.scorers import ScoreWith, thread_setting


@register
class TreeliteGtil(Optimization):
    name = "treelite_gtil"
    description = "score with treelite's GTIL interpreter over the converted model"
    stages = ("score",)
    lossless = True
    conflicts = ("numba_forest", "treelite_compiled", "quantized_features")
    requires = ("treelite",)
    # One thread by default, for the reason given in treelite_compiled.
    defaults = {"threads": 1}

    def prepare(self, runtime):
        self.threads = thread_setting(self.settings, self.name)

    def apply(self, builder, runtime):
        from harness.compiled import gtil_predictor, treelite_model

        predict = gtil_predictor(treelite_model(builder.booster, runtime.shared), self.threads)
        builder.replace("score", ScoreWith(predict, builder.feature_columns, self.threads))
