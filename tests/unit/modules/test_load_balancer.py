"""modules/load_balancer.py: ApplicationLoadBalancer (the one ALB module since tablesleuth_alb.py
merged into it)."""

from __future__ import annotations

import importlib.util

from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from cdktf_cdktf_provider_aws.security_group_rule import SecurityGroupRule
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAcl

from modules.load_balancer import TLS13_ONLY_POLICY, ApplicationLoadBalancer, CognitoLogin
from modules.storage import SecureBucket
from tests.helpers import ACCOUNT, of_type, synth

LOGIN = CognitoLogin(
    user_pool_arn="arn:aws:cognito-idp:us-east-2:111111111111:userpool/p",
    user_pool_client_id="client",
    user_pool_domain="signin",
)


def _alb(*, login: CognitoLogin | None, internal: bool = False):
    def build(scope):
        logs = SecureBucket(scope, "logs", bucket_name="logs", account_id=ACCOUNT, kms_key_arn=None)
        alb = ApplicationLoadBalancer(
            scope,
            "load-balancer",
            name="dev-app",
            vpc_id="vpc-1",
            subnet_ids=["subnet-1", "subnet-2"],
            internal=internal,
            allowed_cidrs=["203.0.113.0/24"],
            target_port=8080,
            health_check_path="/health",
            certificate_arn="arn:aws:acm:us-east-2:111111111111:certificate/c",
            access_logs=logs,
            deletion_protection=False,
            login=login,
        )
        alb.allow_to_targets(
            target_security_group_id="sg-hosts", port=8080, ingress_description="in", egress_description="out"
        )

    return build


def _listener(out: dict, port: int) -> dict:
    (found,) = [x for x in of_type(out, LbListener.TF_RESOURCE_TYPE).values() if x["port"] == port]
    return found


def test_https_signs_users_in_with_cognito_before_forwarding_and_http_redirects():
    out = synth(_alb(login=LOGIN))
    https = _listener(out, 443)
    assert https["ssl_policy"] == TLS13_ONLY_POLICY
    sign_in, forward = https["default_action"]
    assert (sign_in["type"], sign_in["order"], forward["type"], forward["order"]) == (
        "authenticate-cognito",
        1,
        "forward",
        2,
    )
    assert sign_in["authenticate_cognito"]["on_unauthenticated_request"] == "authenticate"
    redirect = _listener(out, 80)["default_action"][0]
    assert redirect["redirect"]["protocol"] == "HTTPS" and redirect["redirect"]["status_code"] == "HTTP_301"
    # The ALB calls Cognito's endpoints itself; without this egress every sign-in fails.
    assert [e["from_port"] for e in of_type(out, VpcSecurityGroupEgressRule.TF_RESOURCE_TYPE).values()] == [443]


def test_health_checks_reach_the_health_path_whatever_the_listener_does():
    out = synth(_alb(login=LOGIN))
    (group,) = of_type(out, LbTargetGroup.TF_RESOURCE_TYPE).values()
    check = group["health_check"]
    assert (check["path"], check["port"], check["matcher"]) == ("/health", "traffic-port", "200")


def test_without_login_https_forwards_and_nothing_leaves_for_an_identity_provider():
    out = synth(_alb(login=None, internal=True))
    (action,) = _listener(out, 443)["default_action"]
    assert action["type"] == "forward"
    assert not of_type(out, VpcSecurityGroupEgressRule.TF_RESOURCE_TYPE)
    (alb,) = of_type(out, Lb.TF_RESOURCE_TYPE).values()
    assert alb["internal"] is True and alb["drop_invalid_header_fields"] is True
    assert alb["access_logs"]["enabled"] is True and alb["access_logs"]["prefix"] == "alb"


def test_the_module_has_no_waf_of_its_own_and_the_old_copy_is_gone():
    out = synth(_alb(login=None))
    assert not of_type(out, Wafv2WebAcl.TF_RESOURCE_TYPE)  # modules/waf.py guards every public entry
    assert importlib.util.find_spec("modules.tablesleuth_alb") is None


def test_allow_to_targets_opens_exactly_the_target_port_between_the_two_groups():
    out = synth(_alb(login=None))
    rules = {r["type"]: r for r in of_type(out, SecurityGroupRule.TF_RESOURCE_TYPE).values()}
    assert rules["ingress"]["security_group_id"] == "sg-hosts"
    assert rules["egress"]["source_security_group_id"] == "sg-hosts"
    for rule in rules.values():
        assert (rule["from_port"], rule["to_port"], rule["protocol"]) == (8080, 8080, "tcp")
