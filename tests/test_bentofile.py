"""`bentoml build` reads bentofile.yaml: it must name the service, the model and the project's dependencies."""

from __future__ import annotations

import tomllib

import yaml

from serving.launch import PROJECT_ROOT, SERVICE
from serving.model_store import BENTO_MODEL_NAME


def test_bentofile_matches_the_project():
    bentofile = yaml.safe_load((PROJECT_ROOT / "bentofile.yaml").read_text())
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert bentofile["service"] == SERVICE
    assert bentofile["models"] == [f"{BENTO_MODEL_NAME}:latest"]
    assert bentofile["python"]["packages"] == pyproject["project"]["dependencies"]
