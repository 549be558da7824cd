"""modules/load_balancer.py: ApplicationLoadBalancer (the one ALB module since tablesleuth_alb.py
merged into it) and PrivateLoadBalancer (the internal ALB behind an NLB for the API's VPC link)."""

from __future__ import annotations

import importlib.util

import pytest
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from cdktf_cdktf_provider_aws.lb_target_group_attachment import LbTargetGroupAttachment
from cdktf_cdktf_provider_aws.security_group_rule import SecurityGroupRule
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAcl

from modules.load_balancer import (
    TLS13_ONLY_POLICY,
    TLS13_POLICY,
    ApplicationLoadBalancer,
    CognitoLogin,
    PrivateLoadBalancer,
)
from modules.storage import SecureBucket
from tests.helpers import ACCOUNT, of_type, resources, scratch_stack, synth, synth_stack

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


@pytest.fixture(scope="module")
def lb_out() -> dict:
    stack = scratch_stack()
    logs = SecureBucket(stack, "logs", bucket_name="alb-logs", account_id=ACCOUNT, kms_key_arn=None)
    PrivateLoadBalancer(
        stack,
        "lb",
        name="dev-x",
        vpc_id="vpc-1",
        vpc_cidr="10.20.0.0/16",
        subnet_ids=["subnet-a", "subnet-b"],
        certificate_arn="arn:aws:acm:us-east-2:111111111111:certificate/c",
        access_logs=logs,
        access_log_prefix="alb",
        target_port=8080,
        health_check_path="/health",
        deletion_protection=True,
    )
    return synth_stack(stack)


def test_alb_is_internal_drops_bad_headers_logs_and_is_protected(lb_out):
    lbs = {lb["load_balancer_type"]: lb for lb in resources(lb_out, Lb.TF_RESOURCE_TYPE)}
    alb, nlb = lbs["application"], lbs["network"]
    assert alb["internal"] is True and nlb["internal"] is True
    assert alb["drop_invalid_header_fields"] is True
    assert alb["access_logs"]["enabled"] is True and alb["access_logs"]["prefix"] == "alb"
    assert alb["enable_deletion_protection"] is True and nlb["enable_deletion_protection"] is True


def test_nlb_keeps_no_access_logs_it_could_never_fill(lb_out):
    """B12: an NLB logs only TLS connections; this one is a TCP pass-through to the ALB, whose logs
    record every request. Nothing should pretend otherwise."""
    (nlb,) = [lb for lb in resources(lb_out, Lb.TF_RESOURCE_TYPE) if lb["load_balancer_type"] == "network"]
    assert "access_logs" not in nlb
    listeners = [li for li in resources(lb_out, LbListener.TF_RESOURCE_TYPE) if "nlb" in li["load_balancer_arn"]]
    assert listeners and all(li["protocol"] == "TCP" for li in listeners)  # no TLS listener to log


def test_https_uses_tls13_and_http_only_redirects(lb_out):
    listeners = {(li["port"], li["protocol"]): li for li in resources(lb_out, LbListener.TF_RESOURCE_TYPE)}
    assert listeners[(443, "HTTPS")]["ssl_policy"] == TLS13_POLICY
    (redirect,) = listeners[(80, "HTTP")]["default_action"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}
    assert listeners[(443, "TCP")]["default_action"][0]["type"] == "forward"


def test_nlb_forwards_to_the_alb_through_an_alb_type_target_group(lb_out):
    groups = {tg["target_type"]: tg for tg in resources(lb_out, LbTargetGroup.TF_RESOURCE_TYPE)}
    assert groups["alb"]["protocol"] == "TCP" and groups["alb"]["port"] == 443
    assert groups["ip"]["port"] == 8080 and groups["ip"]["health_check"]["path"] == "/health"
    (attachment,) = resources(lb_out, LbTargetGroupAttachment.TF_RESOURCE_TYPE)
    assert attachment["target_id"].startswith("${aws_lb.") and any("https" in d for d in attachment["depends_on"])


def test_alb_admits_only_the_vpc(lb_out):
    rules = resources(lb_out, VpcSecurityGroupIngressRule.TF_RESOURCE_TYPE)
    assert {r["from_port"] for r in rules} == {80, 443}
    assert {r["cidr_ipv4"] for r in rules} == {"10.20.0.0/16"}
