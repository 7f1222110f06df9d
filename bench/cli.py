"""`axistag bench`: every speed and quality benchmark in one run, printed as one table."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Annotated

import typer

PARTS = ("inference", "relabel", "ray", "service", "training")


def bench(
    model: Annotated[
        Path | None, typer.Option(help="Transformer or ensemble model folder (default: models/default)")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option(help=f"Run only these parts ({', '.join(PARTS)}); repeatable")
    ] = None,
    training: Annotated[
        bool, typer.Option("--training", help="Also retrain the default model from scratch (about 23 minutes)")
    ] = False,
    tokens: Annotated[int, typer.Option(min=16, help="Token length of the proposals the speed targets speak of")] = 200,
    n: Annotated[int, typer.Option(min=32, help="Proposals scored by the inference and relabelling parts")] = 300,
    seconds: Annotated[float, typer.Option(min=1, help="Duration of each HTTP concurrency level")] = 15.0,
    data: Annotated[Path | None, typer.Option(help="Corpus to read texts and the test split from")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write every figure to this file")] = None,
    int8_recipes: Annotated[
        bool, typer.Option("--int8-recipes", help="Measure every int8 quantisation recipe, not only the shipped one")
    ] = False,
) -> None:
    """Measure inference precisions, relabelling (local and on Ray), the HTTP service and (on request) training.

    Every figure is printed next to the baseline measured in the same run and the ratio between them, speeds
    also as a share of this machine's fp32 ceiling (measured first), and each with its target and whether it
    is met.
    """
    from bench.figures import Figure, print_table
    from bench.texts import CORPUS, texts_of_tokens, texts_of_words
    from model.cpu_flags import this_cpu
    from model.predictor import Predictor, default_model_path
    from training.corpus import load_corpus, multi_hot

    parts = set(only or [part for part in PARTS if part != "training" or training])
    if "ray" in parts and only is None and importlib.util.find_spec("ray") is None:
        typer.echo("ray is not installed (pip install 'axistag[ray]'): the ray part is left out")
        parts.discard("ray")
    unknown = parts - set(PARTS)
    if unknown:
        raise typer.BadParameter(f"unknown part(s) {', '.join(sorted(unknown))}", param_hint="--only")
    folder = model or default_model_path()
    predictor = Predictor.load(folder, precision="fp32")
    encoder = predictor.encoder
    if encoder is None:
        kind = predictor.manifest["kind"]
        raise typer.BadParameter(f"{folder} is a {kind} model, with no encoder", param_hint="--model")
    corpus = data or CORPUS
    if not corpus.is_file():
        raise typer.BadParameter(f"no corpus at {corpus}", param_hint="--data")
    items = load_corpus(corpus)
    texts = list(items["text"])
    speed_texts = texts_of_tokens(encoder.tokenizer, texts, tokens, n)
    typer.echo(f"model {folder} ({predictor.name} {predictor.version}); {n} corpus proposals of {tokens}±10% tokens")
    typer.echo(f"CPU: {this_cpu()}")
    figures: list[Figure] = []
    ceiling = None
    if parts & {"inference", "relabel", "service"}:
        from bench.inference_precision import fp32_ceiling

        ceiling, ceiling_rows = fp32_ceiling(encoder.config, tokens)
        figures += ceiling_rows
    if "inference" in parts:
        from bench.inference_precision import precision_figures
        from bench.real_oof import real_texts
        from model.onnx_quantise import RECIPES
        from model.precision import FP32_ONNX, SHIPPED_INT8, resolve_precision

        typer.echo(f"AXISTAG_PRECISION=auto: {resolve_precision('auto')} on this CPU; int8 is {SHIPPED_INT8}")
        precisions = [
            "bf16",
            FP32_ONNX,
            "int8",
            *([r for r in RECIPES if r != SHIPPED_INT8] if int8_recipes else []),
        ]
        real = real_texts(predictor.manifest, corpus)
        if isinstance(real, str):
            typer.echo(f"real out-of-fold figures left out: {real}")
            real = None
        test = items.select([i for i, split in enumerate(items["split"]) if split == "test"])
        test_texts, test_targets = list(test["text"]), multi_hot(test)
        figures += precision_figures(
            folder, predictor, ceiling, speed_texts, tokens, test_texts, test_targets, precisions, real
        )
    relabel_rate = None
    if "relabel" in parts:
        from bench.relabel_throughput import relabel_figures

        relabel = relabel_figures(str(folder), speed_texts, tokens, ceiling)
        relabel_rate = relabel[0].value
        figures += relabel
    if "ray" in parts:
        from bench.relabel_throughput import ray_figures

        figures += ray_figures(str(folder), speed_texts, tokens, relabel_rate)
    if "service" in parts:
        from bench.load_service import service_figures, table

        reference = texts_of_words(texts, 150, 50)
        service, levels = service_figures(folder, reference, speed_texts, tokens, relabel_rate, seconds, ceiling)
        figures += service
        typer.echo(table(levels))
    if "training" in parts:
        from bench.training_time import training_figures

        figures += training_figures(corpus)
    print_table(figures, f"axistag bench: {folder}")
    if json_out:
        document = {"cpu": this_cpu(), "figures": [figure.to_dict() for figure in figures]}
        json_out.write_text(json.dumps(document, indent=2) + "\n")
