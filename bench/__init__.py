"""Benchmarks: every figure is a ratio against a bare Temporal reference measured in the same
run on the same server (see BENCHMARKS.md; `make bench`, `make bench-full`)."""
