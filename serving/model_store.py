"""The served model as an entry of BentoML's model store, which is how `bentoml build` packs it into a Bento.

`axistag serve --export` copies a model folder into the store under the name `axistag`; `bentofile.yaml`
lists `axistag:latest`, so the built Bento carries that copy, and the service loads it when it runs from
the Bento. Outside a Bento the service reads the folder named by `AXISTAG_MODEL` or the default model.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import bentoml

BENTO_MODEL_NAME = "axistag"


def export_model(folder: Path | str) -> bentoml.models.Model:
    """Copy a verified model folder into the local model store as a new version of `axistag`."""
    from model.folder import read_manifest

    folder = Path(folder)
    manifest = read_manifest(folder)
    with bentoml.models.create(
        BENTO_MODEL_NAME,
        labels={"model_name": manifest["name"], "model_version": manifest["version"], "kind": manifest["kind"]},
        metadata={"axes": manifest["axes"], "backbone": manifest.get("backbone", {}).get("name")},
    ) as stored:
        shutil.copytree(folder, stored.path, dirs_exist_ok=True)
    return stored


def served_model_folder(running_from_bento: bool) -> Path | None:
    """The folder to load: `AXISTAG_MODEL` if set, else the Bento's packed model, else None (the default)."""
    if os.environ.get("AXISTAG_MODEL") or not running_from_bento:
        return None
    return Path(bentoml.models.get(f"{BENTO_MODEL_NAME}:latest").path)
