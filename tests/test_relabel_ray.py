"""The ray engine on a local Ray instance with 2 scoring actors: the local engine's output, part for part.

Ray's start costs seconds, so one instance serves the module and the tests are few; each compares with the
local engine on the same file, bad rows included.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from axistag.cli import app
from relabel.engine_local import relabel_file
from relabel.plan import PARTS_MANIFEST, RelabelError, RelabelRequest, plan_relabel, work_directory
from tests.test_relabel import BAD_ROWS, proposals, read_output, write_input

ray = pytest.importorskip("ray", reason="the ray engine's tests need Ray: pip install 'axistag[ray]'")

from relabel.engine_ray import RayCluster, run_relabel_on_ray  # noqa: E402  (needs Ray, skipped above)

WORKERS = 2


@pytest.fixture(scope="module")
def ray_instance():
    context = ray.init(num_cpus=WORKERS, include_dashboard=False)
    yield context
    ray.shutdown()


def on_ray(request: RelabelRequest, model: Path, **options):
    return run_relabel_on_ray(plan_relabel(request), model, RayCluster(workers=WORKERS), progress=False, **options)


def read_parts(folder: Path, fmt: str) -> list[dict]:
    """Every part's rows, parts in row order (their names sort so), as the manifest lists them."""
    manifest = json.loads((folder / PARTS_MANIFEST).read_text())
    names = [part["file"] for part in manifest["parts"]]
    assert names == sorted(path.name for path in folder.glob("rows-*"))
    rows = []
    for name in names:
        rows += pq.read_table(folder / name).to_pylist() if fmt == "parquet" else read_output(folder / name, fmt)
    return rows


def assert_same_rows(ray_rows: list[dict], local_rows: list[dict]) -> None:
    assert [list(row) for row in ray_rows] == [list(row) for row in local_rows]  # same columns, same order
    for mine, theirs in zip(ray_rows, local_rows, strict=True):
        for column, value in theirs.items():
            if column.startswith("score_") and value is not None:
                assert mine[column] == pytest.approx(value, abs=1e-6), column
            else:
                assert mine[column] == value, column


def test_same_output_review_and_report_as_the_local_engine(tmp_path, ray_instance, tiny_model, tiny_predictor):
    source = tmp_path / "in.csv"
    ids = write_input(source, "csv", proposals(40))
    options = {"chunk_rows": 8, "compare_column": "labels"}
    local = RelabelRequest(source, tmp_path / "local.parquet", review_out=tmp_path / "local-review.csv", **options)
    relabel_file(local, tiny_predictor, progress=False)
    folder = tmp_path / "parts"
    request = RelabelRequest(source, folder, review_out=tmp_path / "ray-review.csv", engine="ray", **options)
    summary = on_ray(request, tiny_model)

    rows = read_parts(folder, "parquet")
    assert [row["id"] for row in rows] == ids
    assert pq.read_table(folder).to_pylist() == rows  # the folder reads as one table, in order
    assert_same_rows(rows, pq.read_table(tmp_path / "local.parquet").to_pylist())
    assert sum(1 for row in rows if row["error"]) == summary.errors == len(BAD_ROWS["csv"])
    assert (tmp_path / "ray-review.csv").read_bytes() == (tmp_path / "local-review.csv").read_bytes()
    assert (tmp_path / "parts.disagreement.csv").read_bytes() == (tmp_path / "local.disagreement.csv").read_bytes()
    manifest = json.loads((folder / PARTS_MANIFEST).read_text())
    assert [(part["first_row"], part["rows"]) for part in manifest["parts"]] == [(i, 8) for i in range(0, 40, 8)] + [
        (40, len(ids) - 40)
    ]
    assert len(manifest["input"]["sha256"]) == 64 and manifest["totals"]["rows"] == len(ids)
    assert sorted(path.name for path in folder.iterdir() if not path.name.startswith("rows-")) == [PARTS_MANIFEST]
    assert not work_directory(folder).exists()


def test_a_killed_job_keeps_its_finished_parts(tmp_path, ray_instance, tiny_model, tiny_predictor, monkeypatch):
    from relabel import engine_ray

    source, folder = tmp_path / "in.jsonl", tmp_path / "parts"
    ids = write_input(source, "jsonl", proposals(40))
    relabel_file(RelabelRequest(source, tmp_path / "local.jsonl", chunk_rows=8), tiny_predictor, progress=False)
    request = RelabelRequest(source, folder, output_format="jsonl", chunk_rows=8, engine="ray")
    commit, commits = engine_ray.commit, []

    def killed_after_two(plan, chunk):
        if len(commits) == 2:
            raise KeyboardInterrupt  # as Ctrl+C, or the driver's machine going down, would stop it
        commits.append(chunk.record.index)
        return commit(plan, chunk)

    monkeypatch.setattr(engine_ray, "commit", killed_after_two)
    with pytest.raises(KeyboardInterrupt):
        on_ray(request, tiny_model)
    monkeypatch.setattr(engine_ray, "commit", commit)
    assert not folder.exists() and len(list(work_directory(folder).glob("rows-*.jsonl"))) == 2

    original = source.read_bytes()
    source.write_bytes(original.replace(b"p-0003", b"p-9999"))
    with pytest.raises(RelabelError, match="input file changed"):
        on_ray(request, tiny_model)
    source.write_bytes(original)
    notes: list[str] = []
    summary = on_ray(request, tiny_model, notify=notes.append)
    assert any(note.startswith("resuming: 2 chunk(s), 16 rows") for note in notes)
    assert (summary.resumed_rows, summary.processed_rows) == (16, len(ids) - 16)
    rows = read_parts(folder, "jsonl")
    assert [row["id"] for row in rows] == ids
    assert_same_rows(rows, read_output(tmp_path / "local.jsonl", "jsonl"))


def run_cli(*args: str):
    return CliRunner().invoke(app, ["relabel", *args, "--engine", "ray", "--workers", "2", "--no-progress"])


def test_the_command_runs_on_a_cluster_and_gives_the_local_engines_errors(tmp_path, ray_instance, tiny_model):
    source, folder = tmp_path / "in.jsonl", tmp_path / "parts"
    write_input(source, "jsonl", proposals(6), bad=False)
    address = ["--address", ray_instance.address_info["address"], "--model", str(tiny_model)]
    result = run_cli(str(source), "-o", str(folder), *address)
    assert result.exit_code == 0, result.output
    assert "6 scored" in result.stdout
    assert [row["id"] for row in read_parts(folder, "parquet")] == [f"p-{i:04d}" for i in range(6)]

    faults = [  # the same words as the local engine's, but for the last, which only this engine has
        ([str(tmp_path / "gone.csv"), "-o", str(tmp_path / "x")], "no such file"),
        ([str(source), "-o", str(tmp_path / "x"), "--text-column", "body"], "text column 'body' not found"),
        ([str(source), "-o", str(folder)], "already exists; pass --overwrite"),
        ([str(source), "-o", str(tmp_path / "x.csv")], "the ray engine writes parquet or jsonl parts"),
    ]
    for arguments, message in faults:
        result = run_cli(*arguments, "--model", str(tiny_model))
        assert result.exit_code == 2 and message in result.stderr, (arguments, result.output)
    broken = tmp_path / "model-of-another-kind"  # a folder that differs on the nodes is refused, not a crash
    shutil.copytree(tiny_model, broken)
    manifest = json.loads((broken / "axistag.json").read_text())
    (broken / "axistag.json").write_text(json.dumps(manifest | {"kind": "mystery"}))
    result = run_cli(str(source), "-o", str(tmp_path / "y"), "--model", str(broken))
    assert result.exit_code == 2 and "cannot load the model on a Ray node" in result.stderr, result.output
    (tmp_path / "out.jsonl").write_text("precious\n")
    local = ["relabel", str(source), "--no-progress", "-o"]
    assert "already exists; pass --overwrite" in CliRunner().invoke(app, [*local, str(tmp_path / "out.jsonl")]).stderr
    wrong_column = [*local, str(tmp_path / "new.jsonl"), "--text-column", "body"]
    assert "text column 'body' not found" in CliRunner().invoke(app, wrong_column).stderr
