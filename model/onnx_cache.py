"""Where exported and quantised graphs are kept, so that only the first load of a model pays for them.

A folder per key under `$AXISTAG_HOME/onnx`: the key hashes the merged weights, the probe layer, the export
format and the versions of the libraries that write and read the graphs, so that any change makes a new one.
Files appear whole or not at all (written under a temporary name, then renamed).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import torch

from model.backbone import axistag_home

EXPORT_FORMAT = 1  # raise when the export or the quantisation recipes change what they write
LIBRARIES = ("torch", "onnx", "onnxruntime")


def onnx_cache_dir() -> Path:
    return axistag_home() / "onnx"


def weights_key(state: dict[str, torch.Tensor], layer: int) -> str:
    """A hash of every tensor (name, type, shape, bytes), the probe layer and the library versions."""
    digest = hashlib.sha256(f"format {EXPORT_FORMAT}; layer {layer}".encode())
    for name in LIBRARIES:
        digest.update(f"; {name} {version(name)}".encode())
    for name in sorted(state):
        tensor = state[name].detach().contiguous()
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
