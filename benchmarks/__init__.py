"""Benchmarks: the real code on real inputs, against the reference tools (see README.md here)."""
