"""modules/backup.py: BackupVault and BackupPlan, which copies each recovery point into the DR vault."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.backup_plan import BackupPlan as BackupPlanResource
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection

from modules.backup import BackupPlan, BackupVault
from tests.helpers import KEY, synth


def _plan(scope, **kwargs):
    vault = BackupVault(scope, "vault", name="v", kms_key_arn=KEY)
    dr = BackupVault(scope, "dr", name="v-dr", kms_key_arn=KEY)
    settings = {"name": "p", "vault": vault, "schedule": "cron(0 3 * * ? *)", "retention_days": 30, "copy_to": dr}
    return BackupPlan(scope, "plan", **(settings | kwargs))


def test_backup_plan_copies_every_recovery_point_to_the_dr_vault():
    out = synth(lambda s: _plan(s, resources=["arn:aws:rds:us-east-2:111111111111:cluster:c"]))
    (plan,) = out["resource"][BackupPlanResource.TF_RESOURCE_TYPE].values()
    (rule,) = plan["rule"]
    assert rule["lifecycle"] == {"delete_after": 30}
    (copy,) = rule["copy_action"]
    assert (
        copy["destination_vault_arn"].startswith("${aws_backup_vault.dr_vault_")
        and copy["lifecycle"]["delete_after"] == 30
    )
    (selection,) = out["resource"][BackupSelection.TF_RESOURCE_TYPE].values()
    assert selection["resources"] == ["arn:aws:rds:us-east-2:111111111111:cluster:c"]


def test_backup_plan_selects_by_tag_without_a_copy():
    out = synth(lambda s: _plan(s, copy_to=None, retention_days=7, selection_tags={"Backup": "daily"}))
    (plan,) = out["resource"][BackupPlanResource.TF_RESOURCE_TYPE].values()
    assert "copy_action" not in plan["rule"][0]
    (selection,) = out["resource"][BackupSelection.TF_RESOURCE_TYPE].values()
    assert selection["selection_tag"] == [{"type": "STRINGEQUALS", "key": "Backup", "value": "daily"}]


def test_backup_plan_that_selects_nothing_is_refused():
    with pytest.raises(ValueError, match="selects nothing"):
        synth(lambda s: _plan(s))
