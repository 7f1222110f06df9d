"""The CPU's instruction sets as /proc/cpuinfo names them: they decide which inference precision is fastest."""

from __future__ import annotations

import os
import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
# Flags that change the speed of fp32, bf16 and int8 inference, in the names we print.
SPEED_FLAGS = {
    "avx2": "AVX2",
    "avx512f": "AVX-512",
    "avx512_vnni": "AVX-512 VNNI",
    "avx_vnni": "AVX-VNNI",
    "avx512_bf16": "AVX-512 BF16",
    "amx_tile": "AMX",
}
# int8 dot-product instructions: without one of them int8 matrix products are no faster than fp32 ones.
INT8_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
# bf16 matrix tiles: with them torch's bf16 products ran 2.2x fp32 and 1.55x ONNX Runtime int8 (`axistag bench`).
BF16_FLAGS = ("amx_bf16",)


def read_cpuinfo() -> str:
    return CPUINFO.read_text() if CPUINFO.is_file() else ""


def cpu_fields(cpuinfo: str) -> dict[str, str]:
    """The first processor's `key: value` lines."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    return fields


def cpu_flags(cpuinfo: str) -> set[str]:
    return set(cpu_fields(cpuinfo).get("flags", "").split())


def has_fast_int8(cpuinfo: str) -> bool:
    return bool(cpu_flags(cpuinfo) & set(INT8_FLAGS))


def has_fast_bf16(cpuinfo: str) -> bool:
    return bool(cpu_flags(cpuinfo) & set(BF16_FLAGS))


def describe_cpu(cpuinfo: str, cores: int | None) -> str:
    """One line: model name, logical cores and the speed-relevant instruction sets found in `cpuinfo`."""
    name = cpu_fields(cpuinfo).get("model name") or platform.processor() or "unknown CPU"
    flags = cpu_flags(cpuinfo)
    found = [label for flag, label in SPEED_FLAGS.items() if flag in flags]
    return f"{name}, {cores or '?'} cores, {', '.join(found) or 'none of ' + ', '.join(SPEED_FLAGS.values())}"


def this_cpu() -> str:
    return describe_cpu(read_cpuinfo(), os.cpu_count())
