"""Self-describing model folders: a manifest (`axistag.json`) that records every file's sha256.

A folder is written into a temporary sibling and renamed into place, so a reader never sees half of
one; loading re-hashes every listed file and refuses a folder whose contents changed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from model.hashing import sha256_file

MANIFEST = "axistag.json"
FORMAT_VERSION = 1


class ModelFolderError(RuntimeError):
    """A model folder is missing, incomplete or was modified after it was written."""


def write_model_folder(folder: Path, manifest: dict, writers: dict[str, Callable[[Path], None]], card: str) -> None:
    """Write each file with its writer, hash it, then the manifest and the card; publish atomically."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    staging.chmod(0o755)
    try:
        for name, write in writers.items():
            write(staging / name)
        files = {name: sha256_file(staging / name) for name in writers}
        full = {"format": FORMAT_VERSION, **manifest, "files": files}
        (staging / MANIFEST).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n")
        (staging / "README.md").write_text(card)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_manifest(folder: Path, verify: bool = True) -> dict:
    """The folder's manifest, after checking that every recorded file is present and unchanged."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise ModelFolderError(f"{folder} is not an axistag model folder (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ModelFolderError(f"{path} is not valid JSON: {error}") from error
    if manifest.get("format") != FORMAT_VERSION:
        raise ModelFolderError(f"{path}: unsupported format {manifest.get('format')!r}")
    if verify:
        for name, expected in manifest.get("files", {}).items():
            file = folder / name
            if not file.is_file():
                raise ModelFolderError(f"{folder}: {name} is missing")
            actual = sha256_file(file)
            if actual != expected:
                raise ModelFolderError(
                    f"{folder}: {name} has sha256 {actual[:12]}..., the manifest records {expected[:12]}...: "
                    "the folder was modified or corrupted"
                )
    return manifest
