"""A9: the API's WAF lets source-code bodies through the managed rules and enforces the backend's
own body limit instead (issue 10)."""

from __future__ import annotations

import re

import pytest

from modules.waf import SOURCE_CODE_BODY_OVERRIDES, greater_than_regex


@pytest.mark.parametrize("limit", [0, 9, 999, 1000, 1024, 65536, 5 * 1024 * 1024, 10 * 1024 * 1024])
def test_body_limit_regex_matches_exactly_the_larger_sizes(limit):
    pattern = re.compile(greater_than_regex(limit))
    step = max(1, limit // 501)
    for size in [*range(0, 2 * limit + 3, step), limit - 1, limit, limit + 1, 10 * limit + 7]:
        if size < 0:
            continue
        assert bool(pattern.match(str(size))) is (size > limit), size
        # Leading zeros must not smuggle a large body past the rule.
        assert bool(pattern.match("00" + str(size))) is (size > limit), size
    assert not pattern.match("") and not pattern.match("12a")
    assert len(greater_than_regex(limit)) <= 200  # WAF's regex length limit


def test_overrides_are_the_common_rule_sets_body_rules():
    assert set(SOURCE_CODE_BODY_OVERRIDES) == {
        "SizeRestrictions_BODY",
        "CrossSiteScripting_BODY",
        "GenericLFI_BODY",
        "GenericRFI_BODY",
    }
