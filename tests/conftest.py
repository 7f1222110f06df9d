"""Session fixtures: each artefact (tiny backbone, corpus, trained models) is built once per test run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures import TINY_TRAINING, build_tiny_backbone, tiny_corpus_rows, write_jsonl
from tests.servers import (
    API_KEY,
    KEYED_LIMITS,
    OPEN_BODY_LIMIT,
    Server,
    start_server,
    stop_server,
    wait_until_ready,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
REALWORLD = SHARED / "realworld" / "proposals.jsonl"


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory) -> Path:
    """Tests never write into the user's cache, except the real backbone which is costly to rebuild."""
    home = tmp_path_factory.mktemp("axistag-home")
    os.environ.setdefault("AXISTAG_HOME", str(home))
    # Tests reach into the torch model; the ONNX Runtime int8 path (`auto` on VNNI/AMX CPUs) has its own tests.
    os.environ.setdefault("AXISTAG_PRECISION", "fp32")
    return Path(os.environ["AXISTAG_HOME"])


@pytest.fixture(scope="session")
def tiny_backbone(tmp_path_factory) -> Path:
    return build_tiny_backbone(tmp_path_factory.mktemp("tiny-backbone"))


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "proposals.jsonl", tiny_corpus_rows())


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tiny_backbone, tiny_corpus) -> Path:
    """A LoRA classifier trained for a few epochs on the tiny corpus with the tiny backbone."""
    from training.config import TrainConfig
    from training.train import train_model

    out = tmp_path_factory.mktemp("models") / "tiny"
    config = TrainConfig(backbone=str(tiny_backbone), epochs=3, **TINY_TRAINING)
    train_model(tiny_corpus, out, config)
    return out


@pytest.fixture(scope="session")
def tiny_stack(tmp_path_factory, tiny_backbone, tiny_corpus):
    """A stack on the tiny corpus whose members also learn from 'real' rows (the whole tiny corpus here); its
    encoder continues one epoch on them. Gives the folder, its manifest and the out-of-fold predictions."""
    from training.config import TrainConfig
    from training.recalibrate import read_sample
    from training.train import train_model

    real = read_sample([tiny_corpus], "text", "labels", "group")
    out = tmp_path_factory.mktemp("models") / "tiny-stack"
    config = TrainConfig(
        kind="stack",
        backbone=str(tiny_backbone),
        max_steps=4,
        lora_top_layers=1,
        probe_layer=1,
        real_encoder_epochs=1,
        real_encoder_corpus_items=12,
        **TINY_TRAINING,
    )
    predictions = out.parent / "tiny-stack-real.jsonl"
    manifest = train_model(tiny_corpus, out, config, real=real, real_predictions=predictions)
    return out, manifest, predictions


@pytest.fixture(scope="session")
def tiny_baseline(tmp_path_factory, tiny_corpus) -> Path:
    from training.config import TrainConfig
    from training.train import train_model

    out = tmp_path_factory.mktemp("models") / "tiny-tfidf"
    train_model(tiny_corpus, out, TrainConfig(kind="tfidf"))
    return out


@pytest.fixture(scope="session")
def tiny_ensemble(tmp_path_factory, tiny_backbone, tiny_corpus) -> Path:
    """Encoder and TF-IDF members trained together, mixed half and half."""
    from training.config import TrainConfig
    from training.train import train_model

    out = tmp_path_factory.mktemp("models") / "tiny-ensemble"
    config = TrainConfig(kind="ensemble", backbone=str(tiny_backbone), max_steps=4, **TINY_TRAINING)
    train_model(tiny_corpus, out, config)
    return out


@pytest.fixture(scope="session")
def tiny_predictor(tiny_model):
    from model.predictor import Predictor

    return Predictor.load(tiny_model)


@pytest.fixture(scope="session")
def tiny_evaluation(tmp_path_factory, tiny_model, tiny_baseline, tiny_corpus) -> Path:
    """`axistag evaluate` of the tiny model against the tiny baseline on the tiny corpus: the report folder."""
    from typer.testing import CliRunner

    from axistag.cli import app

    out = tmp_path_factory.mktemp("evaluation")
    arguments = ["evaluate", "--model", str(tiny_model), "--model", str(tiny_baseline)]
    arguments += ["--data", str(tiny_corpus), "--out", str(out), "--bootstrap", "60"]
    result = CliRunner().invoke(app, arguments)
    if result.exit_code != 0:
        raise RuntimeError(f"axistag evaluate failed ({result.exit_code}):\n{result.output}") from result.exception
    return out


@pytest.fixture(scope="session")
def servers(tiny_model, tmp_path_factory):
    """Real `axistag serve` processes of the tiny model, started once: an open one and one with a key."""
    logs = tmp_path_factory.mktemp("service-logs")
    started = [
        start_server(tiny_model, logs, "open", {"AXISTAG_MAX_BODY_BYTES": str(OPEN_BODY_LIMIT)}),
        start_server(tiny_model, logs, "keyed", {"AXISTAG_API_KEY": API_KEY, **KEYED_LIMITS}),
    ]
    try:
        for server in started:
            wait_until_ready(server)
        yield started
    finally:
        for server in started:
            stop_server(server)


@pytest.fixture(scope="session")
def open_server(servers) -> Server:
    return servers[0]


@pytest.fixture(scope="session")
def keyed_server(servers) -> Server:
    return servers[1]
