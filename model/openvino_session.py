"""The exported fp32 graph run by OpenVINO's CPU plugin, behind the `run` call of an ONNX Runtime session.

On the same graph and inputs (a batch of 8 windows of 200 tokens, 2 threads) it ran 1.3x ONNX Runtime, which
runs as fast as torch fp32: its CPU plugin fuses attention and the layers' element-wise steps into the matrix
products. Its precision hint is pinned to f32: on a CPU with AMX or AVX-512 bf16 it would compute in bf16.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class OpenVinoSession:
    """One compiled fp32 model and its inference request; scores one batch at a time, like the torch encoder."""

    def __init__(self, path: Path, threads: int) -> None:
        import openvino

        settings = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"}
        self.compiled = openvino.Core().compile_model(str(path), "CPU", settings)
        self.request = self.compiled.create_infer_request()

    def run(self, outputs: list[str], feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        """The named outputs for `feed`, copied out of the request's buffers (the next call reuses them)."""
        results = self.request.infer(feed)
        return [np.array(results[self.compiled.output(name)], copy=True) for name in outputs]
