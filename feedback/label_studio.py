"""Label Studio's task JSON both ways: texts out with the model's labels as pre-annotations, reviews back in.

Tasks carry the text and what the model said (name, version, scores, labels) in `data`, and the model's
labels as a `predictions` entry of a multiple-choice control named `axes`, so annotators start from the
model's answer. `LABELLING_CONFIG` is the matching project set-up. Reading an export takes, per task, the
latest annotation that was not cancelled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedback.correction import Correction
from model.axes import AXES, validate_labels

CONTROL = "axes"
TEXT_FIELD = "text"
LABELLING_CONFIG = "\n".join(
    [
        "<View>",
        f'  <Text name="{TEXT_FIELD}" value="${TEXT_FIELD}"/>',
        f'  <Choices name="{CONTROL}" toName="{TEXT_FIELD}" choice="multiple" showInLine="true">',
        *(f'    <Choice value="{axis}"/>' for axis in AXES),
        "  </Choices>",
        "</View>",
        "",
    ]
)


class LabelStudioError(ValueError):
    """The file is not a Label Studio export this module can read."""


def task(correction: Correction) -> dict[str, Any]:
    """One task: the text and the model's judgement, with its labels pre-selected."""
    return {
        "data": {
            TEXT_FIELD: correction.text,
            "text_sha256": correction.text_hash,
            "model_name": correction.model_name,
            "model_version": correction.model_version,
            "model_scores": correction.model_scores,
            "model_labels": correction.model_labels,
        },
        "predictions": [
            {
                "model_version": f"{correction.model_name}@{correction.model_version}",
                "result": [
                    {
                        "from_name": CONTROL,
                        "to_name": TEXT_FIELD,
                        "type": "choices",
                        "value": {"choices": list(correction.model_labels)},
                    }
                ],
            }
        ],
    }


def write_tasks(corrections: Iterable[Correction], path: Path) -> int:
    """The task list, plus the labelling configuration beside it (`<name>.label-config.xml`)."""
    tasks = [task(correction) for correction in corrections]
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    config_path(path).write_text(LABELLING_CONFIG, encoding="utf-8")
    return len(tasks)


def config_path(tasks_path: Path) -> Path:
    return tasks_path.with_name(f"{tasks_path.stem}.label-config.xml")


def _time(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reviewer(annotation: dict[str, Any]) -> str | None:
    """Label Studio names the annotator by id, or by a user object in some exports."""
    author = annotation.get("completed_by")
    if isinstance(author, dict):
        author = author.get("email") or author.get("id")
    return None if author is None else f"label-studio:{author}"


def _choices(annotation: dict[str, Any]) -> list[str]:
    chosen = [
        choice
        for result in annotation.get("result") or []
        if result.get("from_name") == CONTROL and result.get("type") == "choices"
        for choice in result.get("value", {}).get("choices", [])
    ]
    return validate_labels(chosen)


def _correction(entry: dict[str, Any], position: int) -> Correction | None:
    data = entry.get("data") or {}
    annotations = [a for a in entry.get("annotations") or [] if not a.get("was_cancelled")]
    if not annotations:
        return None
    latest = max(annotations, key=lambda a: _time(a.get("updated_at") or a.get("created_at")))
    text = data.get(TEXT_FIELD)
    if not isinstance(text, str) or not text.strip():
        raise LabelStudioError(f"task {entry.get('id', position)}: no text in data.{TEXT_FIELD}")
    try:
        corrected = _choices(latest)
        model_labels = validate_labels(list(data.get("model_labels") or []))
    except ValueError as error:
        raise LabelStudioError(f"task {entry.get('id', position)}: {error}") from error
    return Correction(
        text=text,
        model_name=str(data.get("model_name") or "unknown"),
        model_version=str(data.get("model_version") or "unknown"),
        model_scores={axis: float(score) for axis, score in (data.get("model_scores") or {}).items()},
        model_labels=model_labels,
        corrected_labels=corrected,
        reviewer=_reviewer(latest),
        source="label-studio",
        created_at=_time(latest.get("updated_at") or latest.get("created_at")),
    )


def read_export(path: Path) -> tuple[list[Correction], int]:
    """The annotated tasks of a Label Studio JSON export as corrections, and how many had no annotation."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise LabelStudioError(f"{path.name}: not a JSON file ({error})") from error
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise LabelStudioError(f"{path.name}: a Label Studio export is a JSON list of tasks")
    corrections, unannotated = [], 0
    for position, entry in enumerate(entries, 1):
        correction = _correction(entry, position)
        if correction is None:
            unannotated += 1
        else:
            corrections.append(correction)
    return corrections, unannotated
