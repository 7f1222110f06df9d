"""Reading the CPU's instruction sets, which name the bench's machine and choose the `auto` precision."""

from __future__ import annotations

from model.cpu_flags import cpu_flags, describe_cpu, has_fast_bf16, has_fast_int8

TWO_PROCESSORS = "processor : 0\nmodel name : Some Xeon\nflags : sse avx2\n\nprocessor : 1\nflags : sse avx2 amx_tile\n"


def test_the_cpu_line_names_the_instruction_sets_that_decide_precision_speed():
    cpuinfo = "model name\t: Some Xeon\nflags\t\t: fpu sse avx2 avx512f avx512_vnni\n"
    assert describe_cpu(cpuinfo, 2) == "Some Xeon, 2 cores, AVX2, AVX-512, AVX-512 VNNI"
    assert describe_cpu("model name : Old one\nflags : sse\n", 4).startswith("Old one, 4 cores, none of AVX2")


def test_the_first_processor_speaks_for_the_machine():
    assert cpu_flags(TWO_PROCESSORS) == {"sse", "avx2"}
    assert cpu_flags("") == set()


def test_int8_is_fast_only_with_an_int8_dot_product_instruction():
    assert has_fast_int8("flags : avx2 avx512f avx512_vnni\n")
    assert has_fast_int8("flags : avx2 avx_vnni\n")
    assert has_fast_int8("flags : avx2 amx_tile amx_int8\n")
    assert not has_fast_int8("flags : avx2 avx512f avx512_bf16\n")
    assert not has_fast_int8("")


def test_bf16_is_fast_only_with_amx_bf16_tiles():
    assert has_fast_bf16("flags : avx2 avx512_bf16 amx_tile amx_bf16 amx_int8\n")
    assert not has_fast_bf16("flags : avx2 avx512f avx512_bf16\n")  # bf16 conversions, no bf16 matrix unit
    assert not has_fast_bf16("")
