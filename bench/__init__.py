"""Benchmarks run on demand (`axistag bench`), never as tests: speed and quality printed as numbers."""
