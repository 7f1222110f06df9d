"""Builders for test artefacts made locally: a tiny random BERT with its own tokenizer, a tiny corpus.

Nothing here downloads anything; the tiny backbone has the same interface as the real one (an XLM-R
style unigram tokenizer and a `BertModel`), so every code path runs, only faster.
"""

from __future__ import annotations

import json
from pathlib import Path

from model.axes import AXES
from model.predictor import Predictor

# Headless Chromium as the browser tests start it: no sandbox (root), and no background network traffic.
HEADLESS_CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

# Training settings that make the tiny backbone learn something in a few seconds.
TINY_TRAINING = {
    "batch_size": 8,
    "max_tokens": 48,
    "overlap": 8,
    "learning_rate": 5e-3,
    "head_learning_rate": 5e-3,
    "lora_rank": 4,
    "lora_alpha": 8,
    "threads": 1,
}

# One short proposal in each of three languages, for tests that only need a few texts to score.
THREE_LANGUAGES = [
    "Nous pré-entraînons un modèle de fondation souverain pour le droit.",
    "An operator uses AI to put radio cells to sleep at night.",
    "Wir bauen einen Datenraum für Krankenhäuser auf.",
]

# Short proposals per axis, in several languages; enough for a few training steps to move the scores.
AXIS_SENTENCES = {
    "foundation_models": [
        "We pre-train a multilingual foundation model on European text and release checkpoints.",
        "Nous pré-entraînons un modèle de fondation de 7 milliards de paramètres pour le français.",
        "Wir trainieren ein großes Sprachmodell mit DPO und RLHF für die Verwaltung.",
        "Continued pre-training and supervised fine-tuning of a large language model for law.",
    ],
    "cloud": [
        "A GPU cluster scheduler pools compute across data centres for distributed training.",
        "Nous construisons une plateforme cloud souveraine pour entraîner et servir des modèles d'IA.",
        "Ein föderiertes Rechenzentrum verteilt GPU-Kapazität für das KI-Training.",
        "Autoscaled inference infrastructure with Kubernetes GPU scheduling for AI workloads.",
    ],
    "energy_efficiency": [
        "Quantisation and pruning cut the energy per inference of our models by ten.",
        "Un accélérateur neuromorphique réduit la consommation d'énergie de l'inférence embarquée.",
        "Energieeffiziente KI-Beschleuniger senken den Stromverbrauch beim Training.",
        "We meter the joules per token of training runs and schedule jobs when power is green.",
    ],
    "data": [
        "We build and annotate a rights-cleared data set of medical reports with GDPR compliance.",
        "Un espace de données sécurisé donne accès à des données agricoles de qualité.",
        "Wir kuratieren und dokumentieren einen hochwertigen Datensatz für die Industrie.",
        "A data platform structures, documents and governs training corpora for the public sector.",
    ],
    "aiaas": [
        "Our inference API lets developers send a text and receive JSON, paying per call.",
        "Un catalogue de services d'IA accessibles par API pour toutes les collectivités.",
        "Eine Modellbibliothek mit Inferenz-Endpunkten für Unternehmen als Dienst.",
        "Fine-tuning as a service and a model marketplace offered to industrial customers.",
    ],
    "open_source": [
        "All code and model weights are released under the Apache-2.0 licence with an open community.",
        "Le logiciel est publié sous licence libre EUPL et une communauté européenne le maintient.",
        "Wir veröffentlichen das Framework als Open Source unter MIT-Lizenz und fördern die Community.",
        "Open governance, funded maintainers and releases under permissive licences.",
    ],
    "adoption": [
        "The hospital deploys AI triage in its emergency department with nurses and indicators.",
        "La mairie intègre l'IA dans le traitement des demandes des usagers avec des agents pilotes.",
        "Die Stadtwerke setzen KI zur Lastprognose im Betrieb ein, mit Kennzahlen.",
        "A bank integrates AI into loan processing for its branch staff, piloted in three regions.",
    ],
    "telecom": [
        "AI optimises the radio access network and puts cells to sleep at night to save energy.",
        "L'opérateur utilise l'IA pour planifier son réseau fibre et prédire les pannes.",
        "KI steuert das 5G-Kernnetz und erkennt Anomalien im Mobilfunknetz.",
        "Network APIs on edge MEC nodes deliver real-time AI functions through the operator.",
    ],
}
OFFTOPIC_SENTENCES = [
    "The village bakery renovates its shop and buys a new oven.",
    "Travaux de voirie et réfection des trottoirs de la rue principale.",
    "Die Sporthalle erhält ein neues Dach und eine Heizung.",
    "A music festival in the park with local bands and food trucks.",
]


def tiny_corpus_rows() -> list[dict]:
    """Single-axis, two-axis and unlabelled items with train/validation/test splits."""
    rows = []
    for axis in AXES:
        for index, sentence in enumerate(AXIS_SENTENCES[axis]):
            rows.append({"text": sentence, "labels": [axis]})
            partner = AXES[(AXES.index(axis) + 1 + index) % len(AXES)]
            combined = sentence + " " + AXIS_SENTENCES[partner][index]
            rows.append({"text": combined, "labels": sorted({axis, partner})})
    rows += [{"text": t, "labels": []} for t in OFFTOPIC_SENTENCES]
    splits = ["train", "train", "validation", "train", "test"]
    langs = {"N": "fr", "U": "fr", "L": "fr", "W": "de", "E": "de", "K": "de", "D": "de"}
    result = []
    for number, row in enumerate(rows, start=1):
        first = row["text"].split()[0][:1]
        result.append(
            {
                "id": f"t-{number:04d}",
                "text": row["text"],
                "lang": langs.get(first, "en"),
                "labels": row["labels"],
                "kind": "multi" if len(row["labels"]) > 1 else ("offtopic" if not row["labels"] else "typical"),
                "split": splits[number % len(splits)],
            }
        )
    return result


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    return path


def build_tiny_backbone(folder: Path) -> Path:
    """A 2-layer, 32-wide BERT and a 400-piece unigram tokenizer trained on the tiny corpus."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
    from tokenizers.models import Unigram
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    core = Tokenizer(Unigram())
    core.normalizer = normalizers.NFKC()
    core.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    core.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    texts = [row["text"] for row in tiny_corpus_rows()] * 3
    core.train_from_iterator(texts, trainers.UnigramTrainer(vocab_size=400, special_tokens=specials, unk_token="<unk>"))
    core.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", core.token_to_id("<s>")), ("</s>", core.token_to_id("</s>"))]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=128,
    )
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
    )
    import torch

    torch.manual_seed(0)
    BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


class FailsOn(Predictor):
    """A predictor, except that it raises on one particular text, as a tokenizer bug might."""

    def __init__(self, predictor: Predictor, poison: str) -> None:
        super().__init__(predictor.scorer, predictor.manifest)
        self.poison = poison

    def predict(self, texts, explain=False, deadline=None):
        if any(self.poison in text for text in texts):
            raise ValueError("cannot tokenise")
        return super().predict(texts, explain, deadline)
