"""Evaluation of the assistant's understanding: held-out accuracy, cross-validation,
quality gates, baselines and benchmarks. Results go to results/."""
