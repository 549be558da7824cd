"""Custom checkov checks (loaded with --external-checks-dir; see .checkov.yaml and scripts/scan.py).

checkov executes every .py file here, so only checks and their shared helper live in this folder;
their tests are in tests/policies/test_checkov_checks.py.
"""
