"""Where exported and quantised graphs are kept, so that only the first load of a model pays for them.

A folder per key under `$AXISTAG_HOME/onnx`: the key identifies the merged weights by what they are made
from (the backbone's fingerprint, the adapter settings and the small trained adapter and head tensors), and
hashes the probe layer, the export format and the versions of the libraries that write and read the graphs,
so that any change makes a new one. Hashing the ~470 MB merged state instead cost every load a pass over it.
Files appear whole or not at all (written under a temporary name, then renamed). Each load marks its folder
as used; folders no load has used for `STALE_DAYS` are removed, as every new model version or library upgrade
leaves 0.5 to 1 GB of graphs behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import torch

from model.backbone import axistag_home

EXPORT_FORMAT = 2  # raise when the export or the quantisation recipes change what they write
LIBRARIES = ("torch", "transformers", "onnx", "onnxruntime")
STALE_DAYS = 30


def onnx_cache_dir() -> Path:
    return axistag_home() / "onnx"


def graph_key(backbone_sha256: str, lora: dict | None, trained: dict[str, torch.Tensor], layer: int) -> str:
    """A hash of the backbone's fingerprint, the adapter settings, every trained tensor (name, type, shape,
    bytes), the probe layer and the library versions.

    The backbone's fingerprint is the sha256 that `merged_classifier` checks the loaded backbone against.
    """
    settings = json.dumps(lora, sort_keys=True)
    digest = hashlib.sha256(
        f"format {EXPORT_FORMAT}; layer {layer}; backbone {backbone_sha256}; lora {settings}".encode()
    )
    for name in LIBRARIES:
        digest.update(f"; {name} {version(name)}".encode())
    for name in sorted(trained):
        tensor = trained[name].detach().contiguous()
        digest.update(f"; {name} {tensor.dtype} {tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().data if tensor.numel() else b"")
    return digest.hexdigest()[:32]


def cached_file(path: Path, write: Callable[[Path], None]) -> Path:
    """`path` as it is, or written by `write` to a temporary file beside it and renamed into place."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
    return path


def use_folder(folder: Path, now: float | None = None) -> Path:
    """Mark the key folder `folder` used now (its modification time), and remove its stale siblings.

    A service still running on a removed folder's graphs is unaffected: its session already holds them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time() if now is None else now
    os.utime(folder, (now, now))
    for sibling in folder.parent.iterdir():
        if sibling.is_dir() and sibling != folder and now - sibling.stat().st_mtime > STALE_DAYS * 86_400:
            shutil.rmtree(sibling, ignore_errors=True)
    return folder
