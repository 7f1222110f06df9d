"""Inference speed and quality at fp32, bf16 and int8, and the fp32 ceiling of this machine.

For each precision: proposals per second on proposals of one token length (the predictor's own path:
length-batched windows), macro-F1 on the corpus's test split, the share of test items whose selected axes
equal the fp32 model's, and whether scoring the same 64 texts twice gives bit-identical scores. fp32 is the
baseline of every ratio. The ceiling is a plain fp32 matrix product's speed divided by the encoder's
floating-point operations per proposal: no implementation of the same network can beat it at fp32. The
ceiling is measured once per run (`fp32_ceiling`) and every speed figure is given as a share of it.

    axistag bench --only inference
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score

from bench.figures import Figure, at_least, times_baseline
from eval.metrics import decide
from model.predictor import Predictor
from model.transformer_scorer import PRECISIONS


@dataclass(frozen=True)
class PrecisionRun:
    precision: str
    proposals_per_s: float
    test_macro_f1: float
    selected: np.ndarray
    repeatable: bool


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


def measure(model: Path, precision: str, speed_texts: list[str], test_texts: list[str], targets) -> PrecisionRun:
    predictor = Predictor.load(model, precision=precision)
    predictor.probabilities(speed_texts[:16])  # first calls allocate and pick kernels
    started = time.perf_counter()
    predictor.probabilities(speed_texts)
    seconds = time.perf_counter() - started
    scores = predictor.probabilities(test_texts)
    sample = test_texts[:64]
    repeatable = bool(np.array_equal(predictor.probabilities(sample), predictor.probabilities(sample)))
    selected = decide(scores, predictor.thresholds)
    return PrecisionRun(
        precision=precision,
        proposals_per_s=len(speed_texts) / seconds,
        test_macro_f1=float(f1_score(targets, selected, average="macro", zero_division=0)),
        selected=selected,
        repeatable=repeatable,
    )


def fp32_ceiling(encoder_config, tokens: int) -> tuple[float, list[Figure]]:
    """This machine's fp32 ceiling in proposals of `tokens` tokens per second, and the figures that show it."""
    gflops = matmul_gflops()
    ceiling = gflops / encoder_gflop(encoder_config, tokens)
    return ceiling, [
        Figure("fp32 matrix product", gflops, "GFLOPS"),
        Figure(f"fp32 ceiling, {tokens}-token proposals", ceiling, "proposals/s", ceiling=ceiling),
    ]


def precision_figures(
    model: Path, ceiling: float, speed_texts: list[str], tokens: int, test_texts: list[str], targets
) -> list[Figure]:
    """Each precision's speed against the fp32 `ceiling` (proposals/s) measured in the same run, and quality."""
    runs = [measure(model, precision, speed_texts, test_texts, targets) for precision in PRECISIONS]
    base = runs[0]
    figures = []
    for run in runs:
        label = f"inference {run.precision}, {tokens}-token proposals"
        target = times_baseline(0.9) if run is base else ""
        figures.append(
            Figure(label, run.proposals_per_s, "proposals/s", "fp32 ceiling", ceiling, target, ceiling=ceiling)
        )
        if run is base:
            figures.append(Figure("test macro-F1, fp32", run.test_macro_f1, ""))
            continue
        figures += [
            Figure(
                f"inference {run.precision} against fp32",
                run.proposals_per_s,
                "proposals/s",
                "fp32",
                base.proposals_per_s,
                ceiling=ceiling,
            ),
            Figure(
                f"test macro-F1 change, {run.precision}",
                100 * (run.test_macro_f1 - base.test_macro_f1),
                "points",
                target=at_least(-0.5),
            ),
            Figure(
                f"test items with fp32's labels, {run.precision}",
                100 * float((run.selected == base.selected).all(axis=1).mean()),
                "%",
                target=at_least(99),
            ),
        ]
    figures.append(
        Figure(
            "precisions scoring identically twice",
            sum(run.repeatable for run in runs),
            f"of {len(runs)}",
            target=at_least(len(runs)),
        )
    )
    return figures
