"""A module file is named after the construct it holds, so a reader can find a class from its name.

Issue 13: ci_access.py held GithubDeployAccess, parameters.py OutOfBandSecureParameter, cdn.py
StaticSite and api.py PrivateRestApi. storage.py (SecureBucket, AccessLogBuckets) stays: a file of
bucket constructs.
"""

from __future__ import annotations

import importlib

import pytest

from tests.helpers import REPO_ROOT

NAMED_AFTER = {
    "github_deploy_access": "GithubDeployAccess",
    "secure_parameter": "OutOfBandSecureParameter",
    "static_site": "StaticSite",
    "rest_api": "PrivateRestApi",
}


@pytest.mark.parametrize("module", sorted(NAMED_AFTER))
def test_construct_lives_in_the_file_named_after_it(module):
    cls = getattr(importlib.import_module(f"modules.{module}"), NAMED_AFTER[module])
    assert cls.__module__ == f"modules.{module}"


def test_the_old_file_names_are_gone():
    old = {"ci_access.py", "parameters.py", "cdn.py", "api.py"}
    assert old.isdisjoint(p.name for p in (REPO_ROOT / "modules").glob("*.py"))
