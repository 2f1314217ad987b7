"""``treelite_compiled``: the model compiled to a shared library by treelite and tl2cgen.

Replaces the ``score`` stage only; list it after ``batched_scoring``, which
would otherwise put XGBoost's scorer back. The library is compiled from the
configuration's model (``builder.booster``, which feature selection may
have swapped) and cached under the model's digest.
"""

from harness.optimization import Optimization, register
from harness.scorers import ScoreWith, thread_setting


@register
class TreeliteCompiled(Optimization):
    name = "treelite_compiled"
    description = "score with the model compiled to C by treelite/tl2cgen (cached by model digest)"
    stages = ("score",)
    lossless = True
    conflicts = ("numba_forest", "treelite_gtil", "quantized_features")
    requires = ("treelite", "tl2cgen")
    # threads: tl2cgen's OpenMP workers per prediction. One by default: the
    # 2 cores of the reference machine also run Redis and the Python side,
    # and an OpenMP pool per library (XGBoost has its own) oversubscribes
    # them. compile_threads: gcc processes while compiling, a one-off.
    defaults = {"threads": 1, "compile_threads": 2}

    def prepare(self, runtime):
        self.threads = thread_setting(self.settings, self.name)
        self.compile_threads = thread_setting({"threads": self.settings["compile_threads"]}, self.name)

    def apply(self, builder, runtime):
        from harness.compiled import compiled_library, compiled_predictor

        folder = runtime.artifacts.derived_folder("treelite")
        library = compiled_library(builder.booster, folder, runtime.shared, self.compile_threads)
        predict = compiled_predictor(library, self.threads)
        builder.replace("score", ScoreWith(predict, builder.feature_columns, self.threads))
