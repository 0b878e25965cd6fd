"""Fouille's benchmarks: speed and French known-item quality against SQLite FTS5 and tantivy.

Run with `python -m bench.run` (see bench/README.md). Nothing here is imported by the product.
"""
