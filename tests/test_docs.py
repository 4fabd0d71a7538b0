"""The README is a front page and every relative link in it and in docs/ leads somewhere.

A link is checked when it is relative (no scheme): its file must exist, and a ``#fragment`` must be a
heading of that file, spelt as GitHub spells heading anchors (lower case, punctuation dropped, spaces
as hyphens, ``-1``, ``-2``… for repeats). Headings inside fenced code blocks are not headings.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.helpers import REPO

README_MAX_LINES = 300
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]

_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`([^`]*)`")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code kept as its text."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def github_anchor(heading: str) -> str:
    """GitHub's anchor for a heading's text: markdown links and emphasis reduced to their text, lower
    case, every character that is not a letter, digit, ``_``, ``-`` or space dropped, spaces → ``-``."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = _INLINE_CODE.sub(r"\1", text).replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(path.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if not match:
            continue
        anchor = github_anchor(match.group(2))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def relative_links(path: Path) -> list[str]:
    """The targets of the page's links and images that have no scheme (``https:``, ``mailto:``), outside
    code; a link's text may wrap over lines."""
    prose = _INLINE_CODE.sub("", "\n".join(prose_lines(path.read_text(encoding="utf-8"))))
    return [link for link in _LINK.findall(prose) if not re.match(r"^[a-z][a-z0-9+.-]*:", link)]


def broken_links(path: Path) -> list[str]:
    """``"<link>: <what is wrong>"`` for each relative link of ``path`` that leads nowhere."""
    broken = []
    for link in relative_links(path):
        target, _, fragment = link.partition("#")
        resolved = (path.parent / unquote(target)).resolve() if target else path
        if not resolved.exists():
            broken.append(f"{link}: no file {resolved}")
        elif fragment and resolved.suffix == ".md" and unquote(fragment) not in anchors(resolved):
            broken.append(f"{link}: no heading with anchor #{fragment} in {resolved.name}")
    return broken


def test_the_anchor_rule_matches_githubs() -> None:
    assert github_anchor("Pose CSVs (seed 001)") == "pose-csvs-seed-001"
    assert github_anchor("`train.log`: what the terminal showed") == "trainlog-what-the-terminal-showed"
    assert github_anchor("Evaluation, predictions and ensembles") == "evaluation-predictions-and-ensembles"
    assert github_anchor("Add a **data format** ([example](x.md))") == "add-a-data-format-example"


def test_the_link_checker_finds_a_broken_file_and_a_broken_anchor(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## Real heading\n\n```\n# not a heading\n```\n")
    page.write_text(
        "[ok](other.md#real-heading) [file](missing.md) [anchor](other.md#not-a-heading) "
        "[web](https://example.com/x.md) `[code](nowhere.md)` [a link that\nwraps](gone.md)\n"
    )
    assert [entry.split(":")[0] for entry in broken_links(page)] == [
        "missing.md",
        "other.md#not-a-heading",
        "gone.md",
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_readme_is_a_front_page() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    for command in ("make train", "make test"):
        assert f"{command} " in text, f"the README must show `{command}`"
    assert "## Extending motionlab" in text
    linked = {(REPO / link.partition("#")[0]).resolve() for link in relative_links(REPO / "README.md")}
    assert {page.resolve() for page in PAGES[1:]} <= linked, "every docs page is linked from the README"
