"""Where each TableSleuth resource lived before the stack was split into modules: the stack's
`moved` blocks, kept beside it as Terraform keeps `moved.tf` beside a module.

Each entry maps a new construct path (below the stack) to the old one; an entry that is a
construct moves everything in it. The stack declares each with `KeepsAddresses.moved`
(stacks/addressing.py), so Terraform sees no destroy or create, and tests/stacks/addresses.txt holds.
"""

from __future__ import annotations

MOVES = {
    # stacks/tablesleuth/front_door.py
    "front-door/zone": "zone",
    "front-door/certificate/certificate": "certificate",
    "front-door/certificate/validation-0": "certificate-validation-record",
    "front-door/certificate/validation": "certificate-validation",
    "front-door/elb-service-account": "elb-service-account",
    "front-door/alb-logs": "alb-logs",
    "front-door/alb-logs-access": "alb-logs-access",
    "front-door/load-balancer": "load-balancer",
    "front-door/load-balancer/targets-from-alb": "host-app-from-alb",
    "front-door/load-balancer/alb-to-targets": "alb-to-hosts",
    "front-door/hostname": "hostname",
    # The public ALB's web ACL, its logging and its association are updated in place (same name,
    # the API's rules); only the log group is new (aws-waf-logs-<acl name>), at waf/log-group.
    "front-door/waf": "waf",
    "front-door/waf/acl": "load-balancer/web-acl",
    "front-door/waf/logging": "load-balancer/web-acl-logging",
    "front-door/waf/alb": "load-balancer/web-acl-association",
    # modules/compute_fleet.py, modules/image_pipeline.py, modules/rotated_secret.py
    "host-role/trust": "host-trust",
    "host-role/role": "host-role",
    "host-role/policy-0": "host-role-policy-0",
    "host-role/policy-1": "host-role-policy-1",
    "host-role/permissions": "host-permissions",
    "host-role/policy": "host-role-secret",
    "host-role/profile": "host-profile",
    "host-sg/group": "host-sg",
    "host-sg/egress-https": "host-egress-https",
    "image-pipeline/seed-image": "al2023",
    "image-pipeline/ami-parameter": "ami-parameter",
    "gizmosql-password/secret": "gizmosql-password",
    "gizmosql-password/rotation-sg": "rotation-sg",
    "gizmosql-password/rotation-egress": "rotation-egress",
    "gizmosql-password/rotation": "rotation",
    "gizmosql-password/rotation-invoke": "rotation-invoke",
    "gizmosql-password/rotation-schedule": "rotation-schedule",
}
