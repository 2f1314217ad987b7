"""``packed_features``: stored features as one packed float32 string per product."""

from harness.optimization import Optimization, register


@register
class PackedFeatures(Optimization):
    name = "packed_features"
    description = "read each candidate's features as one packed float32 string, all with one MGET"
    stages = ("fetch",)
    lossless = True
    # Each of these reads the stored features its own way; only one fetch
    # stage can fill the request's features.
    conflicts = ("pipelined_reads", "quantized_features")

    def prepare(self, runtime):
        from harness.layouts import load_packed_layout

        # The Redis marker says whether the layout is there, so a store that
        # came back empty after a restart is loaded again.
        load_packed_layout(runtime.store, runtime.workload.stored)

    def apply(self, builder, runtime):
        from harness.layouts import PACKED, FetchBinary, decode_packed, packed_absent_row

        width = runtime.workload.stored.shape[1]
        builder.replace("fetch", FetchBinary(runtime, builder.client, PACKED, packed_absent_row(width), decode_packed(width)))
