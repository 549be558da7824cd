"""modules/emulator.py: a module's declared emulator gaps name both the attributes and the reason."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic

from modules.emulator import EmulatorDrift
from tests.helpers import synth


def test_a_drift_without_attributes_or_a_gap_is_refused():
    def build(stack):
        topic = SnsTopic(stack, "t", name="t")
        with pytest.raises(ValueError, match="names the attributes and the gap"):
            EmulatorDrift(resource=topic, attributes=(), gap="moto drops it")
        with pytest.raises(ValueError, match="names the attributes and the gap"):
            EmulatorDrift(resource=topic, attributes=("name",), gap="")
        assert EmulatorDrift(resource=topic, attributes=("name",), gap="moto drops it").attributes == ("name",)

    synth(build)
