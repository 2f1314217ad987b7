"""``pipelined_reads``: every candidate's HGETALL in one round trip."""

from harness.optimization import Optimization, register
from harness.stages.fetch import FetchPipelined


@register
class PipelinedReads(Optimization):
    name = "pipelined_reads"
    description = "send all candidate reads in one pipelined Redis round trip"
    stages = ("fetch",)
    lossless = True

    def apply(self, builder, runtime):
        builder.replace("fetch", FetchPipelined(runtime, builder.client))
