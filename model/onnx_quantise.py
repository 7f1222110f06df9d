"""int8 versions of the exported graph, with ONNX Runtime's own quantisation tools.

All recipes are dynamic: weights are quantised once, per output channel; activations are quantised per batch
from their observed range, which needs no calibration texts and follows each batch's scale. They differ in
what stays fp32.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import onnx


@dataclass(frozen=True)
class Recipe:
    """What to quantise: the operator types, and which of their nodes to leave in fp32."""

    op_types: tuple[str, ...]
    # The attention's query-key and weights-value products multiply two activations, both quantised per batch.
    attention_products: bool = True
    fp32_layers: tuple[int, ...] = ()  # encoder layers left whole in fp32

    def excluded(self, graph: onnx.GraphProto) -> list[str]:
        weights = {initializer.name for initializer in graph.initializer}
        excluded = []
        for node in graph.node:
            two_activations = node.op_type == "MatMul" and not weights.intersection(node.input)
            in_fp32_layer = any(f"/layer.{layer}/" in node.name for layer in self.fp32_layers)
            if (two_activations and not self.attention_products) or in_fp32_layer:
                excluded.append(node.name)
        return excluded


RECIPES = {
    # Matrix products only; the word-embedding table (96M of 118M parameters) stays fp32.
    "int8-matmul": Recipe(("MatMul",)),
    # Also the embedding lookups: the table becomes int8 (a quarter of the memory), rows dequantised on lookup.
    "int8-gather": Recipe(("MatMul", "Gather")),
    # As int8-gather, with the attention's two activation products and the adapted top layers left in fp32.
    "int8-partial": Recipe(("MatMul", "Gather"), attention_products=False, fp32_layers=(9, 10, 11)),
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
