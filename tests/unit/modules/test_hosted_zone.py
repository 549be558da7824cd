"""modules/hosted_zone.py: the stand-in zone or the account's existing one, under one id."""

from __future__ import annotations

import pytest

from modules.hosted_zone import hosted_zone_id
from tests.unit.modules.construct_synth import data_of_type, of_type, synth


def test_create_makes_a_public_zone_and_existing_looks_the_public_one_up():
    made = synth(lambda s: hosted_zone_id(s, "zone", domain="example.com", source="create", comment="stand-in"))
    assert of_type(made, "aws_route53_zone") == {"zone": {"name": "example.com", "comment": "stand-in"}}
    assert data_of_type(made, "aws_route53_zone") == {}

    found = synth(lambda s: hosted_zone_id(s, "zone", domain="example.com", source="existing", comment="unused"))
    assert data_of_type(found, "aws_route53_zone") == {"zone": {"name": "example.com", "private_zone": False}}
    assert of_type(found, "aws_route53_zone") == {}


def test_an_unknown_source_is_refused():
    with pytest.raises(ValueError, match="must be 'create' or 'existing', not 'lookup'"):
        synth(lambda s: hosted_zone_id(s, "zone", domain="example.com", source="lookup", comment="c"))
