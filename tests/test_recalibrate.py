"""`axistag calibrate`: refits calibration and thresholds to a labelled sample, or refuses with a reason."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from axistag.cli import app
from model.calibration import fit_scale_and_bias, sigmoid
from model.folder import read_manifest
from model.predictor import Predictor
from tests.fixtures import tiny_corpus_rows, write_jsonl
from training.corpus import file_sha256
from training.recalibrate import CalibrationRefusedError, calibrate_model


def test_platt_scaling_recovers_a_known_scale_and_bias():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 8))
    targets = (rng.random(logits.shape) < sigmoid(0.5 * logits - 1.0)).astype(int)
    scale, bias = fit_scale_and_bias(logits, targets)
    assert scale == pytest.approx(0.5, abs=0.05)
    assert bias == pytest.approx(-1.0, abs=0.1)


def test_a_forced_refit_writes_a_self_describing_folder(tiny_model, tiny_corpus, tmp_path):
    out = tmp_path / "recalibrated"
    result = calibrate_model(tiny_model, [tiny_corpus], out, folds=3, force=True)
    manifest, source = read_manifest(out), read_manifest(tiny_model)
    assert manifest["files"] == source["files"]
    assert manifest["calibrated_on"]["files"] == [
        {"file": str(tiny_corpus), "sha256": file_sha256(tiny_corpus), "items": len(tiny_corpus_rows())}
    ]
    assert manifest["calibration"]["bias"] == result.calibration["bias"]
    assert manifest["calibrated_on"]["cross_fitted"]["before"]["macro_f1"] == result.before["macro_f1"]
    assert "Recalibrated" in (out / "README.md").read_text()
    original, refitted = Predictor.load(tiny_model), Predictor.load(out)
    text = ["A data space for farms."]
    logits, calibration = refitted.scorer.logits(text), result.calibration
    np.testing.assert_allclose(
        refitted.probabilities(text), sigmoid(logits / calibration["temperature"] + calibration["bias"])
    )
    assert original.bias == 0.0 and read_manifest(tiny_model) == source


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (tiny_corpus_rows()[:10], "at least 40"),
        ([{"text": f"Texte hors sujet numéro {i}.", "labels": []} for i in range(60)], "one-sided"),
    ],
)
def test_a_small_or_one_sided_sample_is_refused(tiny_model, tmp_path, rows, message):
    sample = write_jsonl(tmp_path / "sample.jsonl", rows)
    result = CliRunner().invoke(
        app, ["calibrate", "--model", str(tiny_model), "--data", str(sample), "--out", str(tmp_path / "m2")]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "m2").exists()


def test_the_model_folder_is_never_overwritten(tiny_model, tiny_corpus):
    with pytest.raises(CalibrationRefusedError, match="must differ"):
        calibrate_model(tiny_model, [tiny_corpus], tiny_model)
