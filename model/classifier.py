"""The network: a multilingual encoder, mean pooling over tokens, and one sigmoid output per axis."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from model.axes import AXES


@dataclass(frozen=True)
class LoraSettings:
    """Low-rank adapters on the attention and feed-forward projections (peft)."""

    rank: int = 16
    alpha: int = 32
    dropout: float = 0.1
    target_modules: tuple[str, ...] = field(default=("query", "key", "value", "dense"))
    layers: tuple[int, ...] | None = None  # encoder layers that get adapters; None: all of them

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "target_modules": list(self.target_modules),
            "layers": list(self.layers) if self.layers is not None else None,
        }

    @classmethod
    def from_dict(cls, values: dict) -> LoraSettings:
        layers = values.get("layers")
        return cls(
            **{
                **values,
                "target_modules": tuple(values["target_modules"]),
                "layers": tuple(layers) if layers is not None else None,
            }
        )


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the real tokens' states: the pooling e5 was trained with."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


class AxisClassifier(nn.Module):
    """Encoder + mean pooling + linear head; returns one logit per axis."""

    def __init__(self, encoder: nn.Module, n_labels: int = len(AXES), dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(self.dropout(mean_pool(hidden, attention_mask)))

    def logits_and_pooled_state(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, layer: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits, and the mean-pooled hidden state after `layer` encoder layers (0: the embeddings).

        Below its adapters the fine-tuned encoder is the pretrained one, so a low enough layer gives the frozen
        encoder's reading of the text from the same forward pass.
        """
        outputs = self.encoder(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        logits = self.head(self.dropout(mean_pool(outputs.last_hidden_state, attention_mask)))
        return logits, mean_pool(outputs.hidden_states[layer], attention_mask)


def bert_of(classifier: AxisClassifier) -> nn.Module:
    """The `BertModel` inside the classifier, whether or not peft wraps it."""
    encoder = classifier.encoder
    return encoder.get_base_model() if hasattr(encoder, "get_base_model") else encoder


def add_lora(classifier: AxisClassifier, settings: LoraSettings) -> AxisClassifier:
    """Freeze the encoder and give it trainable low-rank adapters; the head stays fully trainable."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.target_modules),
        layers_to_transform=list(settings.layers) if settings.layers is not None else None,
        layers_pattern="layer" if settings.layers is not None else None,
        bias="none",
    )
    classifier.encoder = get_peft_model(classifier.encoder, config)
    return classifier


def merge_lora(classifier: AxisClassifier) -> AxisClassifier:
    """Fold the adapters into the encoder's weights: same outputs, plain (faster) linear layers."""
    classifier.encoder = classifier.encoder.merge_and_unload()
    return classifier


def trainable_state(classifier: AxisClassifier) -> dict[str, torch.Tensor]:
    """Only what training changed (adapters and head): what a model folder stores."""
    names = {name for name, parameter in classifier.named_parameters() if parameter.requires_grad}
    return {
        name: tensor.detach().cpu().contiguous() for name, tensor in classifier.state_dict().items() if name in names
    }
