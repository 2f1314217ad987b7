"""``python_parser``: redis-py's pure-Python reply parser instead of hiredis.

The baseline and every other configuration use hiredis (the project depends
on ``redis[hiredis]``). Adding ``python_parser`` to a configuration measures
what hiredis is worth for that layout, e.g. ``pipelined_reads`` against
``pipelined_reads+python_parser``. It swaps the connection of every fetch
stage already in place and of any built after it, so its position in the
configuration does not matter.
"""

from harness.optimization import Optimization, register

_SHARED_KEY = "python_parser_client"


@register
class PythonParser(Optimization):
    name = "python_parser"
    description = "parse Redis replies with redis-py's pure-Python parser (measures what hiredis is worth)"
    stages = ("fetch",)
    lossless = True

    def prepare(self, runtime):
        if _SHARED_KEY not in runtime.shared:
            runtime.shared[_SHARED_KEY] = runtime.new_client(parser="python")

    def apply(self, builder, runtime):
        client = runtime.shared[_SHARED_KEY]
        builder.client = client
        for stage in builder.stages:
            if hasattr(stage, "client"):
                stage.client = client
