"""What a saved Terraform plan would do, read from its `terraform show -json` form.

One classifier for every reader: ops (each stack's plan line and its DESTRUCTIVE call-out),
plan_summary (the pull-request comment) and diagram (what a change touches), so they can never
disagree about what is created, changed or destroyed.
"""

from __future__ import annotations

KINDS = ("create", "update", "delete", "replace")


def kind(resource_change: dict) -> str | None:
    """create, update, delete or replace; None when the plan leaves the infrastructure as it is.

    Terraform's action lists (JSON output format): ["create"], ["update"], ["delete"], and a
    replacement as ["delete", "create"] or, with create_before_destroy, ["create", "delete"].
    ["no-op"], ["read"] (data sources) and ["forget"] (a `removed` block that keeps the object)
    change no infrastructure.
    """
    actions = resource_change["change"]["actions"]
    if actions in (["create"], ["update"], ["delete"]):
        return actions[0]
    if "delete" in actions and "create" in actions:
        return "replace"
    return None


def changes(plan_json: dict) -> dict[str, list[str]]:
    """Resource addresses by kind of change, in plan order."""
    summary: dict[str, list[str]] = {k: [] for k in KINDS}
    for resource_change in plan_json.get("resource_changes", []):
        if found := kind(resource_change):
            summary[found].append(resource_change["address"])
    return summary
