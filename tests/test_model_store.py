"""`axistag serve --export` puts the model into BentoML's model store; a Bento then serves that copy."""

from __future__ import annotations

import os
import subprocess
import sys

from model.folder import read_manifest

RESOLVE = (
    "from serving.model_store import served_model_folder\n"
    "print(served_model_folder(running_from_bento=True))\n"
    "print(served_model_folder(running_from_bento=False))\n"
)


def run(arguments: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(arguments, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_export_then_resolve_from_a_bento(tiny_model, tmp_path):
    # Separate processes: BentoML reads BENTOML_HOME (where its model store lives) once per process.
    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "bentoml"), "BENTOML_DO_NOT_TRACK": "True"}
    env.pop("AXISTAG_MODEL", None)
    output = run([sys.executable, "-m", "axistag", "serve", "--export", "--model", str(tiny_model)], env)
    assert "as BentoML model axistag:" in output
    [stored] = [path for path in (tmp_path / "bentoml" / "models" / "axistag").iterdir() if path.is_dir()]
    assert read_manifest(stored) == read_manifest(tiny_model)  # every file copied, hashes verified

    in_bento, outside = run([sys.executable, "-c", RESOLVE], env).split()
    assert (in_bento, outside) == (str(stored), "None")

    explicit = run([sys.executable, "-c", RESOLVE], {**env, "AXISTAG_MODEL": str(tiny_model)}).split()
    assert explicit == ["None", "None"]  # AXISTAG_MODEL wins: the predictor reads it itself


def test_serve_refuses_a_folder_that_is_not_a_model(tmp_path):
    from typer.testing import CliRunner

    from axistag.cli import app

    for arguments in (["--export"], []):
        result = CliRunner().invoke(app, ["serve", "--model", str(tmp_path), *arguments])
        assert result.exit_code == 2
        assert "not an axistag model folder" in result.output
