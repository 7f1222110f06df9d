"""The benchmark harness: its arithmetic, its text selection and one real `axistag bench` run on the tiny model."""

from __future__ import annotations

import json
import statistics
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from axistag.cli import app
from bench.figures import Figure, at_most, below, times_baseline
from bench.inference_precision import encoder_gflop
from bench.load_service import LevelResult
from bench.texts import texts_of_tokens, texts_of_words
from training.corpus import load_corpus


def test_a_figure_is_compared_with_its_baseline():
    assert Figure("relabelling", 30.0, "proposals/s", "naive loop", 12.0).ratio == pytest.approx(2.5)
    assert Figure("ready", 14.0, "s").ratio is None
    assert Figure("errors", 0.0, "requests", "none", 0.0).to_dict()["ratio"] is None


def test_a_figure_says_whether_it_meets_its_target():
    relabelling = Figure("relabelling", 13.0, "proposals/s", "fp32 ceiling", 15.0, times_baseline(0.9), ceiling=15.0)
    assert relabelling.target_text == ">= 0.9x fp32 ceiling" and relabelling.met is False
    assert relabelling.of_ceiling == pytest.approx(13 / 15)
    assert Figure("ready", 9.5, "s", target=at_most(10)).met is True
    p99 = Figure("p99", 2000.0, "ms", target=below(2000)).to_dict()
    assert (p99["target"], p99["met"]) == ("< 2,000", False)
    assert Figure("throughput", 9.0, "proposals/s", target=times_baseline(0.8)).met is None  # no baseline measured
    assert Figure("matrix product", 150.0, "GFLOPS").to_dict()["met"] is None


def test_the_encoder_costs_about_nine_gflop_for_a_200_token_proposal():
    e5_small = SimpleNamespace(hidden_size=384, intermediate_size=1536, num_hidden_layers=12)
    assert 8.5 < encoder_gflop(e5_small, 200) < 10.0
    assert encoder_gflop(e5_small, 400) > 2 * encoder_gflop(e5_small, 200)  # attention grows with the square


def test_latency_percentiles_and_throughput_of_a_level():
    level = LevelResult("mix", 4, latencies=[i / 10 for i in range(1, 11)], seconds=2.0)
    assert level.percentile(0.5) == pytest.approx(0.6)
    assert level.percentile(0.99) == pytest.approx(1.0)
    assert level.throughput == pytest.approx(5.0)
    assert LevelResult("empty", 1).throughput == 0.0


def test_texts_of_one_token_length_are_real_texts_of_that_length(tiny_predictor, tiny_corpus):
    tokenizer = tiny_predictor.scorer.tokenizer
    texts = list(load_corpus(tiny_corpus)["text"])
    target = int(statistics.median(len(ids) for ids in tokenizer(texts)["input_ids"]))
    chosen = texts_of_tokens(tokenizer, texts, target, 40)
    assert len(chosen) == 40 and set(chosen) <= set(texts)
    assert all(abs(len(ids) - target) <= target // 10 for ids in tokenizer(chosen)["input_ids"])
    with pytest.raises(SystemExit, match="about 5000 tokens"):
        texts_of_tokens(tokenizer, texts, 5000, 10)


def test_passages_of_one_word_count():
    passages = texts_of_words(["one two three four five six seven"], 150, 5)
    assert [len(passage.split()) for passage in passages] == [150] * 5


def test_bench_measures_every_precision_on_the_tiny_model(tiny_model, tiny_corpus, tiny_predictor, tmp_path):
    texts = list(load_corpus(tiny_corpus)["text"])
    tokens = int(statistics.median(len(ids) for ids in tiny_predictor.scorer.tokenizer(texts)["input_ids"]))
    out = tmp_path / "bench.json"
    arguments = ["bench", "--model", str(tiny_model), "--data", str(tiny_corpus), "--only", "inference"]
    result = CliRunner().invoke(app, [*arguments, "--tokens", str(tokens), "--n", "32", "--json", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["cpu"] in result.output and "cores" in document["cpu"]
    figures = {figure["name"]: figure for figure in document["figures"]}
    against_fp32 = figures["inference int8 against fp32"]
    assert against_fp32["baseline"] > 0 and against_fp32["ratio"] == pytest.approx(
        against_fp32["value"] / against_fp32["baseline"]
    )
    assert 0.0 <= figures["test macro-F1, fp32"]["value"] <= 1.0
    assert figures["precisions scoring identically twice"]["value"] == 4
    ceiling = figures["fp32 ceiling, " + str(tokens) + "-token proposals"]["value"]
    fp32 = figures[f"inference fp32, {tokens}-token proposals"]
    assert fp32["baseline"] == ceiling and fp32["of_ceiling"] == pytest.approx(fp32["value"] / ceiling)
    assert fp32["target"] == ">= 0.9x fp32 ceiling" and fp32["met"] in (True, False)
    assert figures[f"inference fp32-onnx, {tokens}-token proposals"]["target"] == ">= 0.9x fp32 ceiling"
    assert "axistag bench" in result.output


def test_bench_refuses_an_unknown_part(tiny_model):
    result = CliRunner().invoke(app, ["bench", "--model", str(tiny_model), "--only", "everything"])
    assert result.exit_code == 2
    assert "everything" in result.output
