"""Guardrails: synth-time cdktf aspects (aspects.py) and custom checkov checks (checkov/)."""
