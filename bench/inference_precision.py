"""Inference speed and quality of the model at fp32, bf16 and int8, measured in one run.

For each precision: proposals per second over the corpus's validation and test texts (length-batched
windows, the predictor's own path), macro-F1 on the test split, and the share of test items whose
selected axes are identical to the fp32 model's. The fp32 model is the baseline of every ratio. Each
precision scores the same 64 texts twice to check that results are identical from run to run.

    python bench/inference_precision.py [--model models/default] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score

from model.predictor import DEFAULT_MODEL, Predictor
from model.transformer_scorer import PRECISIONS
from training.corpus import load_corpus, multi_hot

CORPUS = Path(__file__).resolve().parents[1] / "data" / "proposals.jsonl"


def measure(model: Path, precision: str, texts: list[str], targets: np.ndarray, n_test: int) -> dict:
    predictor = Predictor.load(model, precision=precision)
    predictor.probabilities(texts[:8])  # warm-up: first calls allocate and pick kernels
    started = time.perf_counter()
    scores = predictor.probabilities(texts)
    seconds = time.perf_counter() - started
    sample = texts[:64]
    repeatable = bool(np.array_equal(predictor.probabilities(sample), predictor.probabilities(sample)))
    selected = (scores >= predictor.thresholds).astype(int)
    test_selected = selected[-n_test:]
    return {
        "precision": precision,
        "proposals_per_s": len(texts) / seconds,
        "test_macro_f1": float(f1_score(targets, test_selected, average="macro", zero_division=0)),
        "selected": test_selected,
        "repeatable": repeatable,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=CORPUS)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    validation, test = load_corpus(args.data, "validation"), load_corpus(args.data, "test")
    texts = list(validation["text"]) + list(test["text"])
    targets = multi_hot(test)
    results = [measure(args.model, p, texts, targets, len(test)) for p in PRECISIONS]
    base = results[0]
    print(f"{len(texts)} proposals, {args.threads} threads, model {args.model}")
    print(
        f"{'precision':<10}{'proposals/s':>12}{'x fp32':>8}{'test macro-F1':>15}{'delta':>8}"
        f"{'same labels':>13}{'repeat':>8}"
    )
    rows = []
    for result in results:
        agreement = float((result["selected"] == base["selected"]).all(axis=1).mean())
        row = {
            "precision": result["precision"],
            "proposals_per_s": round(result["proposals_per_s"], 2),
            "ratio_to_fp32": round(result["proposals_per_s"] / base["proposals_per_s"], 2),
            "test_macro_f1": round(result["test_macro_f1"], 4),
            "delta_points": round(100 * (result["test_macro_f1"] - base["test_macro_f1"]), 2),
            "same_labels_as_fp32": round(agreement, 4),
            "repeatable": result["repeatable"],
        }
        rows.append(row)
        print(
            f"{row['precision']:<10}{row['proposals_per_s']:>12.2f}{row['ratio_to_fp32']:>8.2f}"
            f"{row['test_macro_f1']:>15.4f}{row['delta_points']:>8.2f}{row['same_labels_as_fp32']:>13.2%}"
            f"{row['repeatable']!s:>8}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
