"""Request and response bodies of the HTTP service, documented field by field for the OpenAPI page.

The size limits come from the service settings, so `/docs.json` states the limits the running service
enforces, and a request outside them is refused by validation with the path of the offending field
(`items.3.text`) before any scoring starts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from model.axes import AXES
from model.safe_text import safe_text
from serving.settings import EXPLAIN_COST, service_settings

if TYPE_CHECKING:
    from model.predictor import Prediction

LIMITS = service_settings()
AxisId = Literal[AXES]  # type: ignore[valid-type]

EXAMPLE_TEXT = (
    "The regional hospital group deploys an AI triage assistant in its emergency departments. Nurses "
    "use it on every admission; waiting times and triage errors are tracked as indicators during a "
    "twelve-month pilot in three hospitals before the roll-out."
)


# "Some character that is not whitespace", spelled out so that the JSON Schema published for clients
# (ECMA-262 regular expressions, whose `\s` differs from Python's) and the check below agree exactly.
NOT_BLANK = r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_NOT_BLANK = re.compile(NOT_BLANK)


def _not_blank(text: str) -> str:
    if not _NOT_BLANK.search(text):
        raise ValueError("text is empty or only whitespace")
    return text


ProposalText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=LIMITS.max_text_chars,
        description=f"The proposal summary, in any language; at most {LIMITS.max_text_chars} characters.",
        examples=[EXAMPLE_TEXT],
        json_schema_extra={"pattern": NOT_BLANK},
    ),
    AfterValidator(safe_text),
    AfterValidator(_not_blank),
]
ExplainFlag = Annotated[
    bool,
    Field(description="Also return, for each selected axis, the sentences that support it.", examples=[False]),
]


def _openapi_nullable(schema: dict) -> None:
    """Spell "or null" as OpenAPI 3.0's `nullable`: BentoML publishes 3.0 and keeps only the first `anyOf`."""
    options = schema.pop("anyOf")
    [present] = [option for option in options if option.get("type") != "null"]
    schema.update(present, nullable=True)


class Request(BaseModel):
    """Strict: `"explain": "yes"` or an unknown field is an error to report, not something to guess at."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ClassifyRequest(Request):
    text: ProposalText
    explain: ExplainFlag = False


class BatchItem(Request):
    id: str = Field(
        min_length=1,
        max_length=200,
        description="The caller's identifier of the proposal, returned with its result; unique in the batch.",
        examples=["proposal-0042"],
    )
    text: ProposalText


class ClassifyBatchRequest(Request):
    items: list[BatchItem] = Field(
        min_length=1,
        max_length=LIMITS.max_batch_items,
        description=(
            f"The proposals to classify: at most {LIMITS.max_batch_items} items and {LIMITS.max_batch_chars} "
            f"characters in all, counted {EXPLAIN_COST} times with `explain`. Results keep this order."
        ),
    )
    explain: ExplainFlag = False

    @model_validator(mode="after")
    def _within_the_character_budget(self) -> ClassifyBatchRequest:
        total = sum(len(item.text) for item in self.items)
        weight = EXPLAIN_COST if self.explain else 1
        if total * weight > LIMITS.max_batch_chars:
            counted = f" (counted {EXPLAIN_COST} times with explain)" if self.explain else ""
            raise ValueError(
                f"the items hold {total} characters in all{counted}, more than the limit of "
                f"{LIMITS.max_batch_chars}: split them into several requests"
            )
        return self

    @model_validator(mode="after")
    def _ids_are_unique(self) -> ClassifyBatchRequest:
        positions: dict[str, list[int]] = defaultdict(list)
        for index, item in enumerate(self.items):
            positions[item.id].append(index)
        repeated = {item_id: where for item_id, where in positions.items() if len(where) > 1}
        if repeated:
            described = "; ".join(
                f"{item_id!r} at items {', '.join(map(str, where))}" for item_id, where in repeated.items()
            )
            raise ValueError(f"duplicate item ids: {described}")
        return self


class ModelInfo(BaseModel):
    name: str = Field(description="Name of the model that produced the scores.", examples=["axistag-e5-lora"])
    version: str = Field(description="Version of that model.", examples=["2025.11.1"])


class AxisScore(BaseModel):
    axis: AxisId = Field(description="Axis identifier.")
    score: float = Field(ge=0.0, le=1.0, description="Calibrated probability that the proposal belongs to the axis.")
    threshold: float = Field(description="The model's decision threshold for this axis.")
    selected: bool = Field(description="Whether score >= threshold, i.e. the axis is among `labels`.")


class EvidenceSentence(BaseModel):
    sentence: str = Field(description="A sentence of the text that scores high for the axis on its own.")
    start: int = Field(ge=0, description="Offset of the sentence's first character in the request text.")
    end: int = Field(ge=0, description="Offset just after the sentence's last character.")
    score: float = Field(ge=0.0, le=1.0, description="The axis score of the sentence alone.")


class Classification(BaseModel):
    axes: list[AxisScore] = Field(description="Every axis, in the fixed order of the label schema.")
    labels: list[AxisId] = Field(description="The selected axes.", examples=[["adoption"]])
    needs_review: bool = Field(description="Whether a person should check this result (see `review_reasons`).")
    review_reasons: list[str] = Field(
        description="Why a review is advised: scores near a threshold, a very short text, an unknown language.",
        examples=[["close to the threshold: data"]],
    )
    language: str | None = Field(
        description="ISO 639-1 code of the detected language, null when not recognised.",
        examples=["en"],
        json_schema_extra=_openapi_nullable,
    )
    evidence: dict[AxisId, list[EvidenceSentence]] | None = Field(
        default=None,
        description="With `explain`: the supporting sentences of each selected axis; else null.",
        json_schema_extra=_openapi_nullable,
    )

    @classmethod
    def from_prediction(cls, prediction: Prediction) -> Classification:
        return cls(
            axes=[
                AxisScore(
                    axis=axis,
                    score=score,
                    threshold=prediction.thresholds[axis],
                    selected=axis in prediction.labels,
                )
                for axis, score in prediction.scores.items()
            ],
            labels=prediction.labels,
            needs_review=prediction.needs_review,
            review_reasons=prediction.review_reasons,
            language=prediction.language,
            evidence=None
            if prediction.evidence is None
            else {
                axis: [EvidenceSentence(sentence=e.sentence, start=e.start, end=e.end, score=e.score) for e in items]
                for axis, items in prediction.evidence.items()
            },
        )


class ClassifyResponse(Classification):
    model: ModelInfo


class ItemClassification(Classification):
    id: str = Field(description="The item's id from the request.")


class ClassifyBatchResponse(BaseModel):
    model: ModelInfo
    results: list[ItemClassification] = Field(description="One result per request item, in the request's order.")


class AxisDescription(BaseModel):
    axis: AxisId = Field(description="Axis identifier, as used in `labels`.")
    description: str = Field(description="What proposals on this axis are about (from the labelling guide).")
    threshold: float = Field(description="The served model's decision threshold for this axis.")


class AxesResponse(BaseModel):
    model: ModelInfo
    axes: list[AxisDescription] = Field(description="The label schema, in the model's output order.")


class ScoringJob(BaseModel):
    """One text on its way to the scoring workers; several jobs are scored in one model call."""

    text: str
    explain: bool = False
    deadline: float | None = None  # seconds since the epoch when its caller stops waiting


class ScoringOutcome(BaseModel):
    """A scoring worker's answer to one job: the classification, or why there is none."""

    result: Classification | None = None
    failure: str | None = None  # the model failed on this text (its batch-mates were scored)
    timed_out: bool = False  # the caller's deadline passed before the job was scored
