"""CKV_GUARD_ALB_LOGS (policies/checkov/alb_access_logs.py): access logs on every application load
balancer, not on NLBs (which log only TLS connections); CKV_AWS_91, which wants both, is skipped."""

from __future__ import annotations

import json

import yaml

from scripts import scan

LOGS = {"bucket": "logs", "prefix": "alb", "enabled": True}
SYNTH = {
    "resource": {
        "aws_lb": {
            "alb_with_logs": {"name": "a", "load_balancer_type": "application", "access_logs": LOGS},
            "alb_default_type_with_logs": {"name": "b", "access_logs": LOGS},
            "alb_without_logs": {"name": "c", "load_balancer_type": "application"},
            "alb_logs_off": {"name": "d", "access_logs": {**LOGS, "enabled": False}},
            "nlb_tcp": {"name": "e", "load_balancer_type": "network"},
        }
    }
}


def test_application_load_balancers_need_logs_and_nlbs_are_not_judged(tmp_path):
    path = tmp_path / "dev-lbcheck" / "cdk.tf.json"
    path.parent.mkdir()
    path.write_text(json.dumps(SYNTH))
    result = scan.run_checkov([path], framework="terraform_json", report_name="test-alb-logs")
    raw = json.loads((result.report_dir / "results_json.json").read_text())
    outcomes = {}
    for report in raw if isinstance(raw, list) else [raw]:
        for state in ("passed_checks", "failed_checks"):
            for check in report.get("results", {}).get(state, []):
                if check["check_id"] in ("CKV_GUARD_ALB_LOGS", "CKV_AWS_91"):
                    name = check["resource"].rsplit(".", 1)[-1]
                    outcomes[(check["check_id"], name)] = state.split("_")[0]
    assert outcomes == {
        ("CKV_GUARD_ALB_LOGS", "alb_with_logs"): "passed",
        ("CKV_GUARD_ALB_LOGS", "alb_default_type_with_logs"): "passed",
        ("CKV_GUARD_ALB_LOGS", "alb_without_logs"): "failed",
        ("CKV_GUARD_ALB_LOGS", "alb_logs_off"): "failed",
    }


def test_the_skip_of_ckv_aws_91_says_why():
    config = (scan.CONFIG).read_text()
    assert "CKV_AWS_91" in yaml.safe_load(config)["skip-check"]
    assert "CKV_GUARD_ALB_LOGS" in config
