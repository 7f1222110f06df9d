"""Inference speed, memory and quality at each precision, and the fp32 ceiling of this machine.

For each precision: proposals per second on proposals of one token length (the predictor's own path:
length-batched windows), resident memory once loaded (in a fresh process), macro-F1 on the corpus's test
split, the share of test items whose selected axes equal the fp32 model's, whether scoring the same 64 texts
twice gives bit-identical scores, and, for a stack whose real texts are at hand, macro-F1 on those texts
out-of-fold (`bench.real_oof`). fp32 is the baseline of every ratio. The precisions are timed in turns on
slices of the same texts, so that a change in the machine's load falls on all of them alike. The ceiling is a
plain fp32 matrix product's speed divided by the encoder's floating-point operations per proposal: no
implementation of the same network can beat it at fp32. It is measured once per run (`fp32_ceiling`) and
every speed figure is given as a share of it.

    axistag bench --only inference
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score

from bench.child import in_child, resident_mb
from bench.figures import Figure, at_least, times_baseline
from bench.real_oof import RealTexts
from eval.metrics import decide
from model.precision import FP32_ONNX
from model.predictor import Predictor

TURNS = 5  # slices of the speed texts; each precision scores every slice, one precision after the other
INT8_SPEED_TARGET = 1.25  # int8 against the fp32 ceiling
FP32_SPEED_TARGET = 0.9  # an fp32 engine (torch's, ONNX Runtime's) against the fp32 ceiling


@dataclass
class PrecisionRun:
    precision: str
    predictor: Predictor
    seconds: float = 0.0
    loaded_mb: float = 0.0
    test_macro_f1: float = 0.0
    selected: np.ndarray | None = None
    repeatable: bool = False
    real_macro_f1: float | None = None


def encoder_gflop(config, tokens: int) -> float:
    """Multiply-adds of one forward pass: projections and feed-forward, plus attention's two products."""
    hidden, inner, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_layer = 2 * tokens * (4 * hidden * hidden + 2 * hidden * inner) + 4 * tokens * tokens * hidden
    return layers * per_layer / 1e9


def matmul_gflops(size: int = 1024, seconds: float = 2.0) -> float:
    """Sustained fp32 speed of one square matrix product on all torch threads."""
    left, right = torch.randn(size, size), torch.randn(size, size)
    torch.mm(left, right)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        torch.mm(left, right)
        count += 1
    return 2 * size**3 * count / (time.perf_counter() - started) / 1e9


def fp32_ceiling(encoder_config, tokens: int) -> tuple[float, list[Figure]]:
    """This machine's fp32 ceiling in proposals of `tokens` tokens per second, and the figures that show it."""
    gflops = matmul_gflops()
    ceiling = gflops / encoder_gflop(encoder_config, tokens)
    return ceiling, [
        Figure("fp32 matrix product", gflops, "GFLOPS"),
        Figure(f"fp32 ceiling, {tokens}-token proposals", ceiling, "proposals/s", ceiling=ceiling),
    ]


def loaded_memory(model: str, precision: str) -> dict:
    """Resident memory of a fresh process once it has loaded the model and scored one text (run in a child)."""
    predictor = Predictor.load(model, precision=precision)
    predictor.probabilities(["A first text allocates the buffers every later batch reuses."])
    return {"rss_mb": resident_mb()}


def time_in_turns(runs: list[PrecisionRun], texts: list[str]) -> None:
    """Each run's seconds for all `texts`, scored slice by slice with the precisions taking turns."""
    for run in runs:
        run.predictor.probabilities(texts[:16])  # first calls allocate and pick kernels
    for turn in range(TURNS):
        chunk = texts[turn::TURNS]
        for run in runs:
            started = time.perf_counter()
            run.predictor.probabilities(chunk)
            run.seconds += time.perf_counter() - started


def score_test(run: PrecisionRun, test_texts: list[str], targets) -> None:
    scores = run.predictor.probabilities(test_texts)
    sample = test_texts[:64]
    run.repeatable = bool(np.array_equal(run.predictor.probabilities(sample), run.predictor.probabilities(sample)))
    run.selected = decide(scores, run.predictor.thresholds)
    run.test_macro_f1 = float(f1_score(targets, run.selected, average="macro", zero_division=0))


def score_real(runs: list[PrecisionRun], real: RealTexts) -> None:
    """Real out-of-fold macro-F1 per precision, every fold's fitting on the fp32 run's readings."""
    corpus, fp32 = real.fp32_readings(runs[0].predictor.encoder)
    for run in runs:
        held = fp32 if run is runs[0] else real.readings(run.predictor.encoder, real.sample.texts)
        run.real_macro_f1 = real.macro_f1(corpus, fp32, held)


def precision_figures(
    model: Path,
    fp32: Predictor,
    ceiling: float,
    speed_texts: list[str],
    tokens: int,
    test_texts: list[str],
    targets,
    precisions: list[str],
    real: RealTexts | None = None,
) -> list[Figure]:
    """Each precision's speed against fp32 and the fp32 `ceiling` (proposals/s) measured in the same run, and quality.

    `fp32` is the model already loaded at fp32, the baseline of every comparison; `precisions` are the others.
    """
    others = [PrecisionRun(precision, Predictor.load(model, precision=precision)) for precision in precisions]
    runs = [PrecisionRun("fp32", fp32), *others]
    time_in_turns(runs, speed_texts)
    for run in runs:
        run.loaded_mb = in_child(loaded_memory, str(model), run.precision)["rss_mb"]
        score_test(run, test_texts, targets)
    if real is not None:
        score_real(runs, real)
    base = runs[0]
    figures = []
    for run in runs:
        figures += run_figures(run, base, len(speed_texts), tokens, ceiling)
    figures.append(
        Figure(
            "precisions scoring identically twice",
            sum(run.repeatable for run in runs),
            f"of {len(runs)}",
            target=at_least(len(runs)),
        )
    )
    return figures


def run_figures(run: PrecisionRun, base: PrecisionRun, texts: int, tokens: int, ceiling: float) -> list[Figure]:
    speed = texts / run.seconds
    int8 = run.precision.startswith("int8")
    fp32 = run is base or run.precision == FP32_ONNX
    target = times_baseline(FP32_SPEED_TARGET) if fp32 else times_baseline(INT8_SPEED_TARGET) if int8 else ""
    label = f"inference {run.precision}, {tokens}-token proposals"
    figures = [Figure(label, speed, "proposals/s", "fp32 ceiling", ceiling, target, ceiling=ceiling)]
    memory = Figure(f"memory when loaded, {run.precision}", run.loaded_mb, "MB")
    if run is base:
        figures += [memory, Figure("test macro-F1, fp32", run.test_macro_f1, "")]
        if run.real_macro_f1 is not None:
            figures.append(Figure("real out-of-fold macro-F1, fp32", run.real_macro_f1, ""))
        return figures
    figures += [
        Figure(f"inference {run.precision} against fp32", speed, "proposals/s", "fp32", texts / base.seconds),
        Figure(memory.name, memory.value, "MB", "fp32", base.loaded_mb),
        Figure(
            f"test macro-F1 change, {run.precision}",
            100 * (run.test_macro_f1 - base.test_macro_f1),
            "points",
            target=at_least(-0.5),
        ),
        Figure(
            f"test items with fp32's labels, {run.precision}",
            100 * float((run.selected == base.selected).all(axis=1).mean()),
            "%",  # no target: labels next to a threshold flip without any loss; the F1 changes are the criterion
        ),
    ]
    if run.real_macro_f1 is not None:
        figures.append(
            Figure(
                f"real out-of-fold macro-F1 change, {run.precision}",
                100 * (run.real_macro_f1 - base.real_macro_f1),
                "points",
                target=at_least(-0.5),
            )
        )
    return figures
