"""Benchmarks for ``attribution``: synthetic data, reference pipelines and timing harnesses.

Run everything with ``python -m benchmarks.run_all`` from the repository root; see
``benchmarks/README.md``.
"""
