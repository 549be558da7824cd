"""The custom checkov checks in policies/checkov/, each on a passing and a failing case, through the
same gate (scripts/scan.py) that scans the real stacks: once on synthesized JSON, once on plan JSON."""

from __future__ import annotations

import json

import pytest

from scripts import scan

pytestmark = pytest.mark.terraform

TAGS = {"Environment": "dev", "Project": "p", "Owner": "o", "CostCenter": "c", "ManagedBy": "cdktf"}
STRONG_PASSWORDS = {
    "minimum_length": 14,
    "require_lowercase": True,
    "require_uppercase": True,
    "require_numbers": True,
    "require_symbols": True,
    "temporary_password_validity_days": 3,
}


CEILING = {"sid": "PermissionsBoundaryCeiling", "effect": "Allow", "actions": ["*"], "resources": ["*"]}
NO_USERS = {"sid": "NoUsers", "effect": "Deny", "actions": ["iam:CreateUser"], "resources": ["*"]}
# checkov's IAM checks that .checkov.yaml skips and policies/checkov/iam_boundary_aware.py re-runs.
SYNTH_IAM_CHECKS = ["CKV_GUARD_1001", "CKV_GUARD_1049", "CKV_GUARD_1109", "CKV_GUARD_1110", "CKV_GUARD_1111"]
PLAN_IAM_CHECKS = ["CKV_GUARD_1062", "CKV_GUARD_1063", "CKV_GUARD_1286", "CKV_GUARD_1290", "CKV_GUARD_1355"]


def _iam_policy(sid: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Sid": sid, "Effect": "Allow", "Action": "*", "Resource": "*"}]}
    )


def _tls_deny(service: str, resources: list[str]) -> dict:
    return {
        "sid": "DenyInsecureTransport",
        "effect": "Deny",
        "actions": [f"{service}:*"],
        "resources": resources,
        "principals": [{"type": "AWS", "identifiers": ["*"]}],
        "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}],
    }


def _allow(service: str, action: str, resources: list[str]) -> dict:
    return {
        "sid": "AccountReads",
        "effect": "Allow",
        "actions": [action],
        "resources": resources,
        "principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::111111111111:root"]}],
    }


SYNTH = {
    "data": {
        "aws_iam_policy_document": {
            "good_bucket_doc": {
                "statement": [
                    _allow("s3", "s3:GetObject", ["${aws_s3_bucket.b.arn}/*"]),
                    _tls_deny("s3", ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*"]),
                ]
            },
            "bad_bucket_doc": {"statement": [_allow("s3", "s3:GetObject", ["${aws_s3_bucket.b.arn}/*"])]},
            "good_topic_doc": {
                "statement": [
                    _allow("sns", "sns:Publish", ["${aws_sns_topic.t.arn}"]),
                    _tls_deny("sns", ["${aws_sns_topic.t.arn}"]),
                ]
            },
            "bad_topic_doc": {"statement": [_allow("sns", "sns:Publish", ["${aws_sns_topic.t.arn}"])]},
            # An identity policy (no principals) is no resource policy: not judged by the TLS checks.
            "identity_doc": {"statement": [{"actions": ["s3:GetObject"], "resources": ["${aws_s3_bucket.b.arn}/*"]}]},
            # The permissions boundary's ceiling, and a grant of the same: only the grant fails.
            "boundary_doc": {"statement": [CEILING, NO_USERS]},
            "star_grant_doc": {"statement": [{**CEILING, "sid": "Grant"}]},
        }
    },
    "resource": {
        "aws_cognito_user_pool": {
            "good_pool": {"name": "dev-users", "password_policy": STRONG_PASSWORDS},
            "weak_pool": {"name": "dev-weak", "password_policy": {**STRONG_PASSWORDS, "minimum_length": 8}},
        }
    },
}


def _plan_resource(resource_type: str, name: str, values: dict) -> dict:
    return {
        "address": f"{resource_type}.{name}",
        "mode": "managed",
        "type": resource_type,
        "name": name,
        "provider_name": "hashicorp/aws",
        "schema_version": 0,
        "values": values,
        "sensitive_values": {},
    }


def _policy(service: str, arn: str, *, tls_deny: bool) -> str:
    statements = [
        {
            "Sid": "AccountReads",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": f"{service}:Get*" if service == "s3" else "sns:Publish",
            "Resource": arn,
        }
    ]
    if tls_deny:
        statements.append(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": f"{service}:*",
                "Resource": arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


PLAN_RESOURCES = [
    _plan_resource(
        "aws_iam_policy", "boundary", {"name": "dev-workload-boundary", "policy": _iam_policy(CEILING["sid"])}
    ),
    _plan_resource("aws_iam_policy", "star_grant", {"name": "grant", "policy": _iam_policy("Grant")}),
    _plan_resource("aws_sqs_queue", "tagged", {"name": "q", "tags": None, "tags_all": TAGS}),
    _plan_resource("aws_sqs_queue", "untagged", {"name": "q2", "tags": None, "tags_all": {"Environment": "dev"}}),
    _plan_resource(
        "aws_s3_bucket_policy", "good", {"bucket": "b", "policy": _policy("s3", "arn:aws:s3:::b/*", tls_deny=True)}
    ),
    _plan_resource(
        "aws_s3_bucket_policy", "bad", {"bucket": "b", "policy": _policy("s3", "arn:aws:s3:::b/*", tls_deny=False)}
    ),
    _plan_resource(
        "aws_sns_topic_policy",
        "good",
        {
            "arn": "arn:aws:sns:us-east-2:111111111111:t",
            "policy": _policy("sns", "arn:aws:sns:us-east-2:111111111111:t", tls_deny=True),
        },
    ),
    _plan_resource(
        "aws_sns_topic_policy",
        "bad",
        {
            "arn": "arn:aws:sns:us-east-2:111111111111:t",
            "policy": _policy("sns", "arn:aws:sns:us-east-2:111111111111:t", tls_deny=False),
        },
    ),
    _plan_resource(
        "aws_cognito_user_pool",
        "prod_with_mfa",
        {
            "name": "prod-users",
            "mfa_configuration": "ON",
            "password_policy": [STRONG_PASSWORDS],
            "tags_all": {**TAGS, "Environment": "prod"},
        },
    ),
    _plan_resource(
        "aws_cognito_user_pool",
        "prod_optional_mfa",
        {
            "name": "prod-users2",
            "mfa_configuration": "OPTIONAL",
            "password_policy": [STRONG_PASSWORDS],
            "tags_all": {**TAGS, "Environment": "prod"},
        },
    ),
]
PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.11.4",
    "planned_values": {"root_module": {"resources": PLAN_RESOURCES}},
    "resource_changes": [
        {
            "address": r["address"],
            "mode": "managed",
            "type": r["type"],
            "name": r["name"],
            "provider_name": r["provider_name"],
            "change": {"actions": ["create"], "before": None, "after": r["values"], "after_unknown": {}},
        }
        for r in PLAN_RESOURCES
    ],
    "configuration": {"root_module": {}},
}


def _outcomes(result: scan.ScanResult, stack: str) -> dict[tuple[str, str], str]:
    raw = json.loads((result.report_dir / "results_json.json").read_text())
    reports = raw if isinstance(raw, list) else [raw]
    outcomes = {}
    for report in reports:
        for state in ("passed_checks", "failed_checks"):
            for check in report.get("results", {}).get(state, []):
                if check["check_id"].startswith("CKV_GUARD_"):
                    outcomes[(check["check_id"], check["resource"])] = state.split("_")[0]
    return outcomes


@pytest.fixture(scope="module")
def synth_outcomes(tmp_path_factory):
    path = tmp_path_factory.mktemp("guard-synth") / "dev-guard" / "cdk.tf.json"
    path.parent.mkdir()
    path.write_text(json.dumps(SYNTH))
    return _outcomes(scan.run_checkov([path], framework="terraform_json", report_name="test-guard-synth"), "dev-guard")


@pytest.fixture(scope="module")
def plan_outcomes(tmp_path_factory):
    path = tmp_path_factory.mktemp("guard-plan") / "dev-guard.json"
    path.write_text(json.dumps(PLAN))
    result = scan.run_checkov([path], framework="terraform_plan", report_name="test-guard-plan")
    assert {c for c, *_ in result.tallies["dev-guard"].failed} >= {"CKV_GUARD_1"}  # the gate sees them as failures
    return _outcomes(result, "dev-guard")


@pytest.mark.parametrize(
    ("check_id", "resource", "expected"),
    [
        ("CKV_GUARD_2", "data.good_bucket_doc", "passed"),
        ("CKV_GUARD_2", "data.bad_bucket_doc", "failed"),
        ("CKV_GUARD_3", "data.good_topic_doc", "passed"),
        ("CKV_GUARD_3", "data.bad_topic_doc", "failed"),
        ("CKV_GUARD_4", "resource.good_pool", "passed"),
        ("CKV_GUARD_4", "resource.weak_pool", "failed"),
    ],
)
def test_custom_checks_on_synthesized_json(synth_outcomes, check_id, resource, expected):
    # checkov names terraform_json resources by block type and name
    matches = {
        state
        for (cid, res), state in synth_outcomes.items()
        if cid == check_id and res.endswith(resource.split(".", 1)[1])
    }
    assert matches == {expected}


@pytest.mark.parametrize("check_id", SYNTH_IAM_CHECKS)
def test_iam_checks_judge_every_policy_document_but_the_boundary(synth_outcomes, check_id):
    """.checkov.yaml skips checkov's IAM checks only so that these can run them without the boundary."""
    states = {res.rsplit(".", 1)[-1]: state for (cid, res), state in synth_outcomes.items() if cid == check_id}
    assert states.get("star_grant_doc") == "failed"
    assert "boundary_doc" not in states


@pytest.mark.parametrize("check_id", PLAN_IAM_CHECKS)
def test_iam_checks_judge_every_rendered_policy_but_the_boundary(plan_outcomes, check_id):
    assert plan_outcomes.get((check_id, "aws_iam_policy.star_grant")) == "failed"
    assert (check_id, "aws_iam_policy.boundary") not in plan_outcomes


def test_identity_policies_and_synth_tags_are_not_judged(synth_outcomes):
    tls_checks = ("CKV_GUARD_2", "CKV_GUARD_3")
    assert not [key for key in synth_outcomes if key[1].endswith("identity_doc") and key[0] in tls_checks]
    assert not [key for key in synth_outcomes if key[0] == "CKV_GUARD_1"]


@pytest.mark.parametrize(
    ("check_id", "resource", "expected"),
    [
        ("CKV_GUARD_1", "aws_sqs_queue.tagged", "passed"),
        ("CKV_GUARD_1", "aws_sqs_queue.untagged", "failed"),
        ("CKV_GUARD_2", "aws_s3_bucket_policy.good", "passed"),
        ("CKV_GUARD_2", "aws_s3_bucket_policy.bad", "failed"),
        ("CKV_GUARD_3", "aws_sns_topic_policy.good", "passed"),
        ("CKV_GUARD_3", "aws_sns_topic_policy.bad", "failed"),
        ("CKV_GUARD_4", "aws_cognito_user_pool.prod_with_mfa", "passed"),
        ("CKV_GUARD_4", "aws_cognito_user_pool.prod_optional_mfa", "failed"),
    ],
)
def test_custom_checks_on_plan_json(plan_outcomes, check_id, resource, expected):
    assert plan_outcomes.get((check_id, resource)) == expected


def test_local_bucket_policies_follow_the_emulator_switch(tmp_path):
    """local.yaml turns the TLS Deny off for moto (emulator_workarounds); only there is it not judged."""
    doc = {
        "data": {"aws_iam_policy_document": {"bucket_doc": SYNTH["data"]["aws_iam_policy_document"]["bad_bucket_doc"]}}
    }
    files = []
    for env in ("local", "dev"):
        path = tmp_path / f"{env}-guard" / "cdk.tf.json"
        path.parent.mkdir()
        path.write_text(json.dumps(doc))
        files.append(path)
    result = scan.run_checkov(files, framework="terraform_json", report_name="test-guard-local")
    assert [c for c, *_ in result.tallies["dev-guard"].failed] == ["CKV_GUARD_2"]
    assert "CKV_GUARD_2" not in [c for c, *_ in result.tallies["local-guard"].failed]
