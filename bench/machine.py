"""What the benchmark ran on: the CPU model and the instruction sets that decide which precision is fast."""

from __future__ import annotations

import os
import platform
from pathlib import Path

# Flags of /proc/cpuinfo that change the speed of fp32, bf16 and int8 inference, in the names we print.
SPEED_FLAGS = {
    "avx2": "AVX2",
    "avx512f": "AVX-512",
    "avx512_vnni": "AVX-512 VNNI",
    "avx512_bf16": "AVX-512 BF16",
    "amx_tile": "AMX",
}


def describe_cpu(cpuinfo: str, cores: int | None) -> str:
    """One line: model name, logical cores and the speed-relevant instruction sets found in `cpuinfo`."""
    fields = dict(line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    name = fields.get("model name") or platform.processor() or "unknown CPU"
    flags = set(fields.get("flags", "").split())
    found = [label for flag, label in SPEED_FLAGS.items() if flag in flags]
    return f"{name}, {cores or '?'} cores, {', '.join(found) or 'none of ' + ', '.join(SPEED_FLAGS.values())}"


def this_cpu() -> str:
    path = Path("/proc/cpuinfo")
    return describe_cpu(path.read_text() if path.is_file() else "", os.cpu_count())
