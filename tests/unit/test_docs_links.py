"""The README is the front door and docs/ the depth behind it: every relative link in them must
reach a file of this repository (and a heading, when it names one), and the README stays short
enough to read, so depth goes to docs/ instead of growing it back."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.helpers import REPO_ROOT

README_MAX_LINES = 160  # about 110 of them are the generated picture of prod

# [text](target) and ![alt](target); the target ends at whitespace (an optional "title" follows).
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"`+[^`]*`+")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def documents(root: Path = REPO_ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def repository_files(root: Path = REPO_ROOT) -> set[str]:
    """Files a fresh clone has: tracked, or new and not ignored (so a link to .build/ fails)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return set(filter(None, listing.decode().split("\0")))


def links(text: str) -> list[tuple[int, str]]:
    """(line number, target) of every Markdown link outside code blocks and code spans."""
    found, in_fence = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            found += [(number, m.group(1)) for m in LINK.finditer(CODE_SPAN.sub("", line))]
    return found


def anchors(text: str) -> set[str]:
    """The ids GitHub gives a file's headings: lower case, punctuation dropped, spaces to
    hyphens, a repeated heading numbered -1, -2, ..."""
    seen: dict[str, int] = {}
    ids, in_fence = set(), False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if in_fence or not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}-{count}")
    return ids


def broken_links(document: Path, root: Path, files: set[str]) -> list[str]:
    problems = []
    shown = document.relative_to(root).as_posix()
    for number, target in links(document.read_text(encoding="utf-8")):
        if SCHEME.match(target) or target.startswith("//"):
            continue  # a web address: not this repository's to resolve
        path_part, _, fragment = target.partition("#")
        where = f"{shown}:{number}: ({target})"
        if path_part.startswith("/"):
            problems.append(f"{where} is absolute; link relative to {shown} so it works in a clone")
            continue
        resolved = (document.parent / path_part).resolve() if path_part else document.resolve()
        try:
            relative = resolved.relative_to(root.resolve()).as_posix()
        except ValueError:
            problems.append(f"{where} points outside the repository")
            continue
        is_dir = any(name.startswith(relative + "/") for name in files)
        if relative not in files and not is_dir:
            problems.append(f"{where}: no file {relative} in the repository")
            continue
        if fragment and relative.endswith(".md") and fragment not in anchors(resolved.read_text(encoding="utf-8")):
            problems.append(f"{where}: {relative} has no heading with the id #{fragment}")
    return problems


def test_every_relative_link_in_readme_and_docs_resolves():
    files = repository_files()
    problems = [p for document in documents() for p in broken_links(document, REPO_ROOT, files)]
    assert problems == [], "broken links (fix the target or the heading):\n" + "\n".join(problems)


def test_the_readme_stays_a_front_door():
    lines = (REPO_ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines < README_MAX_LINES, (
        f"README.md has {lines} lines (limit {README_MAX_LINES}): move the detail into docs/ and link it"
    )


def test_docs_the_readme_promises_exist_and_are_linked():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    targets = {target for _, target in links(readme)}
    for name in ("architecture", "environments", "operations", "guardrails", "local-aws", "speed", "security", "cost"):
        assert (REPO_ROOT / "docs" / f"{name}.md").is_file(), name
        assert any(t.split("#")[0] == f"docs/{name}.md" for t in targets), f"README does not link docs/{name}.md"


def test_the_checker_finds_broken_links(tmp_path):
    """The check itself: a missing file, a missing heading, an escape from the repository and an
    ignored build file are each reported; good links, web addresses and code are not."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.md").write_text("# B\n\n## Real heading, here\n")
    (tmp_path / ".build").mkdir()
    (tmp_path / ".build" / "out.json").write_text("{}")
    readme = tmp_path / "README.md"
    readme.write_text(
        "# A\n\n## Two words\n\n"
        "[ok](docs/b.md) [ok](docs/b.md#real-heading-here) [ok](#two-words) [web](https://example.com/x)\n"
        "`[code](nowhere.md)`\n\n```\n[fenced](nowhere.md)\n```\n"
        "[gone](docs/missing.md)\n[no heading](docs/b.md#nope)\n[out](../elsewhere/c.md)\n"
        "[built](.build/out.json)\n[self](#missing-here)\n"
    )
    files = {"README.md", "docs/b.md"}
    problems = broken_links(readme, tmp_path, files)
    assert [p.split(":")[1] for p in problems] == ["11", "12", "13", "14", "15"], problems
    assert "no file docs/missing.md" in problems[0]
    assert "no heading with the id #nope" in problems[1]
    assert "outside the repository" in problems[2]
    assert "no file .build/out.json" in problems[3]
    assert "no heading with the id #missing-here" in problems[4]
