"""The label schema: the eight IPCEI-AI priority axes, in the fixed order of the model's outputs."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

AXIS_DESCRIPTIONS: dict[str, str] = {
    "foundation_models": (
        "Open, competitive foundation models: pre-training of foundation models of any modality, new "
        "training methods, post-training (continued pre-training, SFT, RLHF/DPO, distillation) incl. "
        "adaptation to a sector."
    ),
    "cloud": (
        "Cloud for AI: infrastructure and resource management to train and serve AI models (GPU clusters, "
        "schedulers, pooled or federated compute, distributed training, autoscaled inference, edge-cloud "
        "continuum, storage and data loading for AI at scale, sovereign cloud for AI)."
    ),
    "energy_efficiency": (
        "Energy efficiency of AI: technologies that make training and inference use less energy "
        "(efficient accelerators, quantisation, pruning, on-device inference under a power budget, "
        "energy-aware scheduling, green data centres for AI, energy metering of AI)."
    ),
    "data": (
        "Secure access to high-quality data: building, curating, annotating, structuring or governing data "
        "sets as a deliverable; data spaces and platforms; secure, compliant or federated access to data."
    ),
    "aiaas": (
        "AI as a Service: tools, APIs, inference endpoints, model hubs and marketplaces offered to other "
        "organisations or developers in industry and the public sector."
    ),
    "open_source": (
        "Open-source framework and community: releasing code, models or data under licences allowing "
        "reuse (commercial use included) as a deliverable; community building and open governance."
    ),
    "adoption": (
        "Adoption in concrete use cases: AI integrated into the real operations of identified users in an "
        "economic sector or a public administration, piloted or deployed with a process and indicators."
    ),
    "telecom": (
        "Telecom networks: AI to design, operate, optimise, maintain, secure or save energy in telecom "
        "networks; AI use cases delivered through operator infrastructure (edge/MEC, network APIs)."
    ),
}

AXES: tuple[str, ...] = tuple(AXIS_DESCRIPTIONS)
_LABEL_SEPARATORS = re.compile(r"[;,|]")


def validate_labels(labels: list[str]) -> list[str]:
    """Return the labels sorted and deduplicated; raise on an unknown axis id."""
    unknown = sorted(set(labels) - set(AXES))
    if unknown:
        raise ValueError(f"unknown axis id(s) {unknown}; known: {', '.join(AXES)}")
    return sorted(set(labels))


def parse_labels(value: Any) -> list[str]:
    """Turn a labels cell (list, array, `a;b`, `a,b`, `a|b`, `["a", "b"]`, empty) into sorted axis ids."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1].replace('"', "").replace("'", "")
        names = [part.strip() for part in _LABEL_SEPARATORS.split(text)]
    elif isinstance(value, (list, tuple, np.ndarray)):
        names = [str(part).strip() for part in value]
    else:
        raise ValueError(f"labels must be a list or a separated string, got {type(value).__name__}")
    return validate_labels([name for name in names if name])


def to_multi_hot(labels: list[str]) -> list[int]:
    present = set(labels)
    return [int(axis in present) for axis in AXES]
