"""Evaluation cases, runners and benchmarks (figures are printed, never asserted on time)."""
