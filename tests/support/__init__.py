"""Deliberate test support: scripted models, recording servers, the control-plane and Prometheus harness."""
