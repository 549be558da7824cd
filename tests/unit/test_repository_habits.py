"""The habits of the field: pre-commit runs what `make lint` runs from the repository's own pinned
tools, CODEOWNERS gives the platform team the infrastructure, Dependabot watches every pin."""

from __future__ import annotations

import re
import shlex
import subprocess

import yaml

from tests.helpers import REPO_ROOT


def _make_variables() -> dict[str, str]:
    text = (REPO_ROOT / "Makefile").read_text()
    return dict(re.findall(r"^([A-Z_]+) [:?]?= (.*)$", text, flags=re.M))


def _expand(command: str, variables: dict[str, str]) -> str:
    while match := re.search(r"\$\(([A-Z_]+)\)", command):
        command = command.replace(match.group(0), variables.get(match.group(1), ""))
    return command


def _lint_commands() -> list[str]:
    """`make lint`'s recipe, expanded; `pipenv run X` is .venv/bin/X (PIPENV_VENV_IN_PROJECT)."""
    text = (REPO_ROOT / "Makefile").read_text()
    (recipe,) = re.findall(r"^lint:.*\n((?:\t.*\n)+)", text, flags=re.M)
    variables = _make_variables()
    commands = [_expand(line.strip(), variables) for line in recipe.splitlines()]
    return [re.sub(r"^\S+ -m pipenv run (\S+)", r".venv/bin/\1", c) for c in commands]


def _hooks() -> list[dict]:
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    return [hook | {"repo": repo["repo"]} for repo in config["repos"] for hook in repo["hooks"]]


def test_pre_commit_hooks_are_local_and_fetch_nothing():
    hooks = _hooks()
    assert hooks
    for hook in hooks:
        assert hook["repo"] == "local", hook["id"]
        # `system` runs what is installed; python/node languages would build an environment from an index.
        assert hook["language"] == "system", hook["id"]
        assert hook["pass_filenames"] is False, hook["id"]  # the whole tree, as make lint


def test_pre_commit_runs_exactly_what_make_lint_runs():
    commands = _lint_commands()
    assert len(commands) == 2 and commands[0] == ".venv/bin/ruff check ."
    entries = [hook["entry"] for hook in _hooks()]
    for command in commands:
        assert [e for e in entries if e.rstrip().endswith(f"exec {command}'")], command
    assert len(entries) == len(commands)


def test_each_pre_commit_hook_passes_on_this_tree():
    for hook in _hooks():
        result = subprocess.run(
            shlex.split(hook["entry"]), cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode == 0, f"{hook['id']}: {result.stdout}{result.stderr}"


def _codeowners() -> dict[str, list[str]]:
    lines = (REPO_ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
    return {line.split()[0]: line.split()[1:] for line in lines if line.strip() and not line.startswith("#")}


def test_codeowners_gives_the_platform_team_the_infrastructure():
    owners = _codeowners()
    for path in ("/stacks/", "/modules/", "/policies/", "/.github/", "/environments/"):
        assert owners.get(path) == ["@example-org/platform"], path
    for path in owners:
        assert (REPO_ROOT / path.strip("/")).exists(), f"CODEOWNERS names {path}, which does not exist"
    assert "PLACEHOLDER" in (REPO_ROOT / ".github" / "CODEOWNERS").read_text()


def test_dependabot_watches_pip_npm_and_github_actions_where_their_manifests_are():
    config = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    updates = {u["package-ecosystem"]: u.get("directories") or [u["directory"]] for u in config["updates"]}
    assert set(updates) == {"pip", "npm", "github-actions"}
    assert all(u["schedule"]["interval"] for u in config["updates"])
    assert (REPO_ROOT / "Pipfile.lock").is_file() and "/" in updates["pip"]
    for directory in updates["pip"]:
        found = list((REPO_ROOT / directory.strip("/")).glob("Pipfile")) + list(
            (REPO_ROOT / directory.strip("/")).glob("*requirements*.txt")
        )
        assert found, f"pip: no Pipfile or requirements file in {directory}"
    assert updates["npm"] == ["/"] and (REPO_ROOT / "package-lock.json").is_file()
    assert "/" in updates["github-actions"]  # .github/workflows
    actions = (REPO_ROOT / ".github" / "actions").glob("*/action.yml")
    composite = {f"/{p.parent.relative_to(REPO_ROOT)}" for p in actions}
    assert composite and composite <= set(updates["github-actions"]), "a composite action Dependabot would not read"
