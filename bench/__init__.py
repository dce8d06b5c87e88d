"""Benchmarks, run by hand (``uv run python -m bench NAME``); figures go to docs/benchmarks.md."""
