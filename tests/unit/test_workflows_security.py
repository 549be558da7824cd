"""What the workflows may publish and how they deploy (docs/security.md names these tests)."""

from __future__ import annotations

import pytest
import yaml

from tests.helpers import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
# An artifact may carry the human summary or SARIF, never a saved plan, plan JSON or a whole
# report directory (checkov's JSON reports quote the plan's resources).
SAFE_SUFFIXES = (".md", ".sarif")


def _steps(workflow: dict):
    for job_name, job in workflow.get("jobs", {}).items():
        for step in job.get("steps", []):
            yield job_name, job, step


def _workflows() -> dict[str, dict]:
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(WORKFLOWS.glob("*.yml"))}


def uploaded_paths(workflow: dict) -> list[str]:
    paths = []
    for _, _, step in _steps(workflow):
        if str(step.get("uses", "")).startswith("actions/upload-artifact"):
            paths += [p.strip() for p in str(step["with"]["path"]).splitlines() if p.strip()]
    return paths


def unsafe_uploads(workflow: dict) -> list[str]:
    return [p for p in uploaded_paths(workflow) if not p.endswith(SAFE_SUFFIXES) or ".tfplan" in p]


@pytest.mark.parametrize("name", sorted(_workflows()))
def test_no_workflow_uploads_a_plan_or_plan_json(name):
    assert unsafe_uploads(_workflows()[name]) == []


def test_the_check_catches_the_uploads_the_review_found():
    """The pull-request and deploy uploads before this change, as the check must see them."""
    old = {
        "jobs": {
            "plan": {
                "steps": [
                    {
                        "uses": "actions/upload-artifact@v4",
                        "with": {"path": ".build/plans/dev/a.tfplan\n.build/plans/dev/a.json\n"},
                    },
                    {"uses": "actions/upload-artifact@v4", "with": {"path": ".build/plans/dev/\n.build/scan/\n"}},
                ]
            }
        }
    }
    assert len(unsafe_uploads(old)) == 4


def test_deploy_goes_stack_by_stack_in_the_gated_environment_with_a_long_enough_session():
    workflow = _workflows()["deploy-environment.yml"]
    job = workflow["jobs"]["deploy"]
    assert job["environment"] == "${{ inputs.environment }}"
    runs = [step.get("run", "") for step in job["steps"]]
    # make deploy plans each stack after its upstreams applied, gates it, applies that plan;
    # no saved plan arrives from another job.
    assert "make deploy ENV=${{ inputs.environment }}" in runs
    assert not any("apply-plan" in run or run.startswith("make plan ") for run in runs)
    assert not any("download-artifact" in str(step.get("uses")) for step in job["steps"])
    credentials = next(s for s in job["steps"] if "configure-aws-credentials" in str(s.get("uses")))
    assert credentials["with"]["role-to-assume"] == "${{ steps.ci.outputs.deploy_role_arn }}"
    # Second-pass review item 4: a first prod deploy can pass an hour.
    assert credentials["with"]["role-duration-seconds"] >= 4 * 3600
    assert job["timeout-minutes"] >= 240


def test_reviewers_see_a_preview_made_with_the_plan_role_before_they_approve():
    workflow = _workflows()["deploy-environment.yml"]
    preview = workflow["jobs"]["preview"]
    assert workflow["jobs"]["deploy"]["needs"] == "preview"
    assert "environment" not in preview
    credentials = next(s for s in preview["steps"] if "configure-aws-credentials" in str(s.get("uses")))
    assert credentials["with"]["role-to-assume"] == "${{ steps.ci.outputs.plan_role_arn }}"


def test_pull_requests_never_plan_with_the_deploy_role():
    workflow = _workflows()["pull-request.yml"]
    for _, job, step in _steps(workflow):
        assert "deploy_role" not in str(step.get("with", {})), step
        assert "environment" not in job
