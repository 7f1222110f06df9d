"""Which precision a model loads at: `auto` takes the fastest one that keeps quality on this CPU.

fp32 and bf16 run the encoder with torch; `fp32-onnx` and int8 with ONNX Runtime (`model.onnx_encoder`),
fp32-onnx on the exported fp32 graph itself, which gives torch's outputs to 1e-4 (checked at every load).
With AMX bf16 tiles, bf16 was fastest; with int8 dot-product instructions only (VNNI), int8; without them int8
products gain little over fp32 ones, so `auto` stays fp32. bf16 and int8 kept macro-F1 within 0.5 points of
fp32 on the corpus test split and the real texts out-of-fold (`axistag bench --only inference`).
"""

from __future__ import annotations

from model.cpu_flags import has_fast_bf16, has_fast_int8, read_cpuinfo
from model.onnx_encoder import FP32
from model.onnx_quantise import RECIPES

FP32_ONNX = "fp32-onnx"
PRECISIONS = ("auto", "fp32", "bf16", "int8", FP32_ONNX)
# The int8 recipe `int8` stands for: within 0.5 macro-F1 points of fp32 on corpus test and real texts.
SHIPPED_INT8 = "int8-gather"


def resolve_precision(requested: str, cpuinfo: str | None = None) -> str:
    """fp32, bf16, fp32-onnx, int8 or an int8 recipe's name; `auto` is decided by `cpuinfo` (default: this CPU's)."""
    if requested == "auto":
        cpuinfo = read_cpuinfo() if cpuinfo is None else cpuinfo
        return "bf16" if has_fast_bf16(cpuinfo) else "int8" if has_fast_int8(cpuinfo) else "fp32"
    if requested not in PRECISIONS and requested not in RECIPES:
        raise ValueError(f"unknown precision {requested!r}; choose one of {', '.join((*PRECISIONS, *RECIPES))}")
    return requested


def onnx_graph(precision: str) -> str | None:
    """The ONNX graph a resolved precision runs (`FP32` or an int8 recipe); None for the torch precisions."""
    if precision == FP32_ONNX:
        return FP32
    return SHIPPED_INT8 if precision == "int8" else precision if precision in RECIPES else None
