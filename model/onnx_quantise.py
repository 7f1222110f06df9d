"""int8 versions of the exported graph, with ONNX Runtime's own quantisation tools.

All recipes are dynamic: weights are quantised once, per output channel; activations are quantised per batch
from their observed range, which needs no calibration texts and follows each batch's scale. They differ in
what stays fp32.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import onnx


@dataclass(frozen=True)
class Recipe:
    """What to quantise: the operator types, and the nodes whose names match `fp32_nodes` left in fp32."""

    op_types: tuple[str, ...]
    fp32_nodes: str | None = None  # a regular expression

    def excluded(self, graph: onnx.GraphProto) -> list[str]:
        if self.fp32_nodes is None:
            return []
        return [node.name for node in graph.node if re.search(self.fp32_nodes, node.name)]


# The feed-forward output projections read the GELU's activations, whose rare large values stretch the range a
# batch is quantised over: quantised alone, they made more than half of the change in the logits and the probe's
# states (layer 4's the most), measured node by node on validation texts.
FEED_FORWARD_OUTPUTS = r"/layer\.\d+/output/dense/"  # not the attention's, under /layer.N/attention/output/

RECIPES = {
    # Matrix products with a weight operand; the word-embedding table (96M of 118M parameters) stays fp32.
    "int8-matmul": Recipe(("MatMul",)),
    # Also the embedding lookups: the table becomes int8 (a quarter of the memory), rows dequantised on lookup.
    "int8-gather": Recipe(("MatMul", "Gather")),
    # As int8-gather, with the feed-forward output projections left in fp32.
    "int8-partial": Recipe(("MatMul", "Gather"), fp32_nodes=FEED_FORWARD_OUTPUTS),
}


def quantise(source: Path, target: Path, recipe: Recipe) -> None:
    """Write `source`'s int8 version to `target` (signed int8 weights per channel, unsigned activations)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    quantize_dynamic(
        source,
        target,
        op_types_to_quantize=list(recipe.op_types),
        per_channel=True,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=recipe.excluded(graph),
    )
