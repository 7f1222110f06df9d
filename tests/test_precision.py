"""Which precision a load uses: `auto` decides by the CPU's bf16 and int8 instructions."""

from __future__ import annotations

import pytest

from model.onnx_encoder import FP32
from model.onnx_quantise import RECIPES
from model.precision import FP32_ONNX, SHIPPED_INT8, onnx_graph, resolve_precision

SAPPHIRE_RAPIDS = "model name : Xeon\nflags : avx2 avx512f avx512_vnni avx512_bf16 amx_tile amx_bf16 amx_int8\n"
CASCADE_LAKE = "model name : Xeon\nflags : avx2 avx512f avx512_vnni\n"
OLD_XEON = "model name : Xeon\nflags : avx2 avx512f\n"


def test_auto_is_bf16_with_amx_tiles_and_int8_only_where_the_cpu_multiplies_int8_fast():
    assert resolve_precision("auto", SAPPHIRE_RAPIDS) == "bf16"
    assert resolve_precision("auto", CASCADE_LAKE) == "int8"
    assert resolve_precision("auto", "flags : avx2 avx_vnni\n") == "int8"
    assert resolve_precision("auto", OLD_XEON) == "fp32"
    assert resolve_precision("auto", "") == "fp32"


def test_an_explicit_precision_is_kept_whatever_the_cpu():
    for precision in ("fp32", "bf16", "int8", FP32_ONNX, *RECIPES):
        assert resolve_precision(precision, OLD_XEON) == precision


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="unknown precision 'fp8'"):
        resolve_precision("fp8", SAPPHIRE_RAPIDS)


def test_int8_runs_the_shipped_recipe_fp32_onnx_the_fp32_graph_and_torch_precisions_none():
    assert onnx_graph("int8") == SHIPPED_INT8 in RECIPES
    assert all(onnx_graph(recipe) == recipe for recipe in RECIPES)
    assert onnx_graph(FP32_ONNX) == FP32
    assert onnx_graph("fp32") is None and onnx_graph("bf16") is None
