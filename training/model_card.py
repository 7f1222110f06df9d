"""The model card (README.md of a model folder), rendered from its manifest so the two never disagree."""

from __future__ import annotations


def _axis_table(manifest: dict) -> str:
    thresholds = manifest["thresholds"]["selected"]
    f1 = manifest["validation"]["per_axis_f1"]
    rows = ["| axis | threshold | validation F1 |", "|---|---|---|"]
    rows += [f"| `{axis}` | {t:.3f} | {f1[axis]:.3f} |" for axis, t in zip(manifest["axes"], thresholds, strict=True)]
    return "\n".join(rows)


def _scores(scores: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.4f}" for name, value in scores.items())


def render_model_card(manifest: dict) -> str:
    training = manifest["training"]
    calibration = manifest["calibration"]
    thresholds = manifest["thresholds"]
    validation = manifest["validation"]
    backbone = manifest.get("backbone", {}).get("name")
    encoder = f"LoRA fine-tuned `{backbone}` encoder, mean pooling, 8 sigmoid outputs"
    tfidf = "TF-IDF (word 1-2-grams + character 2-5-grams) with one-vs-rest logistic regression"
    kind = {"transformer": encoder, "tfidf": tfidf}.get(manifest["kind"])
    if manifest["kind"] == "ensemble":
        share = manifest["ensemble"]["transformer_weight"]
        kind = (
            f"Ensemble of a {encoder} and a {tfidf}; each member calibrated on validation, "
            f"probabilities mixed {share:.0%} / {1 - share:.0%} "
            f"(members' validation macro-F1: {_scores(manifest['member_validation_macro_f1'])})"
        )
    if manifest["kind"] == "stack":
        stack = manifest["stack"]
        weights = ", ".join(f"{name} {w:.2f}" for name, w in stack["combiner"]["weights"].items())
        kind = (
            f"Stack of a {encoder}, a {tfidf} and a linear probe on the encoder's layer-{stack['probe_layer']} "
            f"states, combined by one weight per member and a bias shared by the axes ({weights}; bias "
            f"{stack['combiner']['bias']:.2f}), fitted on {_fitted_on(stack['combiner_fitted_on'])}"
        )
    lines = [
        f"# axistag model `{manifest['name']}` ({manifest['version']})",
        "",
        "Tags AI project proposal summaries with the eight IPCEI-AI priority axes (multi-label).",
        "",
        f"- **Model**: {kind}.",
        f"- **Languages seen in training**: {', '.join(manifest['languages']) or 'not recorded'}.",
        f"- **Training data**: `{training['data']}` (sha256 `{training['data_sha256'][:16]}...`), "
        f"{training['train_items']} training and {training['validation_items']} validation items; "
        "the test split was not used.",
        f"- **Code version**: {manifest['code_version']}.",
    ]
    if "windows" in manifest:
        windows = manifest["windows"]
        lines.append(
            f"- **Long texts**: windows of {windows['max_tokens']} tokens overlapping by {windows['overlap']}, "
            f"scores aggregated by `{windows['aggregation']}` "
            f"(validation macro-F1: {_scores(manifest['window_comparison_validation_macro_f1'])})."
        )
    if "best_epoch" in manifest:
        lines.append(f"- **Fine-tuning**: {_fine_tuning(manifest)}.")
    if "calibrated_on" in manifest:
        sample, cross = manifest["calibrated_on"], manifest["calibrated_on"]["cross_fitted"]
        lines.append(
            f"- **Recalibrated** from `{sample['from_model']['name']}` ({sample['from_model']['version']}) on "
            f"{_files(sample)} ({sample['items']} texts): out-of-fold "
            f"macro-F1 {cross['before']['macro_f1']:.3f} before, {cross['after']['macro_f1']:.3f} after "
            f"({cross['folds']} grouped folds, seed {cross['seed']}); the figures below are the original training's."
        )
    if "real_sample" in manifest:
        sample, cross = manifest["real_sample"], manifest["real_sample"]["cross_fitted"]
        low, high = cross["interval"]
        lines.append(
            f"- **Real texts**: {_files(sample)} ({sample['items']} texts) trained the TF-IDF member and the probe"
            f"{_real_tuning(manifest)} and fitted the combiner and thresholds, cross-fitted: out-of-fold macro-F1 "
            f"{cross['macro_f1']:.3f} "
            f"({low:.3f}-{high:.3f}), mean average precision {cross['mean_average_precision']:.3f} "
            f"({cross['folds']} grouped folds, seed {cross['seed']})."
        )
    ece_before = f"{calibration['ece_before']:.4f} before, " if "ece_before" in calibration else ""
    lines += [
        f"- **Calibration**: {calibration['method']}; temperature {calibration['temperature']:.3f}"
        f"{', bias ' + format(calibration['bias'], '.3f') if 'bias' in calibration else ''}; ECE "
        f"{ece_before}{calibration['ece_after']:.4f} after.",
        f"- **Thresholds**: `{thresholds['mode']}` (cross-validated macro-F1 on validation: "
        f"{_scores(thresholds['cv_macro_f1'])}; global threshold {thresholds['global_threshold']:.2f}).",
        f"- **Validation**: macro-F1 {validation['macro_f1']:.4f}, micro-F1 {validation['micro_f1']:.4f}.",
        "",
        _axis_table(manifest),
        "",
        "## Intended use and limits",
        "",
        "Triage of incoming proposals and relabelling of past calls, with a human reviewing items flagged "
        "`needs_review`. Trained on summaries written for this purpose, not on real submissions: scores on "
        "real texts are lower (see the evaluation report). Not a funding decision.",
        "",
    ]
    return "\n".join(lines)


def _fine_tuning(manifest: dict) -> str:
    """The settings that shaped the encoder, or where it came from when it was reused."""
    reused = manifest.get("encoder_from")
    if reused:
        return f"encoder reused from `{reused['name']}` ({reused['version']}), whose card gives its settings"
    config = manifest["training"]["config"]
    parts = [
        f"epoch {manifest['best_epoch']} of {len(manifest['history'])} kept (best on validation)",
        f"adapters at rate {config['learning_rate']:g}, head at {config['head_learning_rate']:g}",
    ]
    if config.get("label_smoothing"):
        parts.append(f"targets smoothed by {config['label_smoothing']:g}")
    if config.get("linear_probe_first"):
        parts.append("head first fitted alone on the frozen encoder (LP-FT)")
    return "; ".join(parts)


def _real_tuning(manifest: dict) -> str:
    """How the encoder learned from the real texts too, if it did."""
    tuning = manifest.get("real_tuning")
    if not tuning:
        return ""
    return (
        f", the encoder continued {tuning['epochs']} epochs on them with {tuning['corpus_items']} corpus items "
        "(the corpus-trained encoder it started from is kept beside it)"
    )


def _fitted_on(block: dict) -> str:
    if "real_items_out_of_fold" in block:
        return f"the out-of-fold logits of {block['real_items_out_of_fold']} real texts"
    return f"the {block['validation_items']} validation items"


def _files(sample: dict) -> str:
    return ", ".join(f"`{entry['file']}`" for entry in sample["files"])
