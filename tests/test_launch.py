"""`axistag serve` hands the model folder and worker count to BentoML's processes through the environment."""

from __future__ import annotations

import sys
from pathlib import Path

from serving.launch import (
    ONEDNN_KERNELS_KEPT,
    PROJECT_ROOT,
    SERVICE,
    bentoml_serve_command,
    service_environment,
)


def test_command_serves_the_service_on_the_given_address():
    command = bentoml_serve_command("127.0.0.1", 3456)
    assert command[:4] == [sys.executable, "-m", "bentoml", "serve"]
    assert SERVICE in command
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "3456"
    assert Path(command[command.index("--working-dir") + 1]) == PROJECT_ROOT
    assert (PROJECT_ROOT / "serving" / "service.py").is_file()


def test_environment_carries_an_absolute_model_path_and_workers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    environment = service_environment(Path("models/x"), workers=3, base={"PATH": "/bin"})
    assert environment["AXISTAG_MODEL"] == str(tmp_path / "models" / "x")
    assert environment["AXISTAG_WORKERS"] == "3"
    assert environment["PATH"] == "/bin"
    assert environment["BENTOML_DO_NOT_TRACK"] == "True"
    assert environment["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == str(ONEDNN_KERNELS_KEPT)


def test_the_callers_kernel_cache_size_is_kept():
    environment = service_environment(Path("/m"), workers=None, base={"ONEDNN_PRIMITIVE_CACHE_CAPACITY": "1024"})
    assert environment["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "1024"


def test_worker_count_is_left_to_the_environment_when_not_given():
    environment = service_environment(Path("/m"), workers=None, base={"AXISTAG_WORKERS": "2"})
    assert environment["AXISTAG_WORKERS"] == "2"


def test_the_service_module_loads_without_torch():
    """Every BentoML process imports the service; only the scoring worker needs torch, once it loads the model.

    Nor does any process need pyarrow (30 MB each) before the first file upload.
    """
    import subprocess

    heavy = "{'torch', 'transformers', 'sklearn', 'pyarrow'}"
    check = f"import sys, serving.service; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert result.stdout.strip() == "[]"
