"""The README and the docs point only at what is in the repository: every link and every named
.md file resolves inside it, and no page sends the reader to a site outside."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", ROOT / "deploy" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Addresses that are no site: this machine, and example domains of the RFC 2606 kind.
_LOCAL = re.compile(r"https?://(127\.0\.0\.1|localhost|[\w.-]*\.example(\.cn|\.com)?)([:/]|$)")
_FENCED = re.compile(r"```.*?```", re.S)  # commands: a chart repository to add is no link
_URL = re.compile(r"https?://[^\s)>`\"']+")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_NAMED_PAGE = re.compile(r"(?<![\w/])(\.{0,2}/?[\w][\w./-]*\.md)\b")


def _prose(page: Path) -> str:
    return _FENCED.sub("", page.read_text())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_link_to_nothing_outside_the_repo(page: Path) -> None:
    text = _prose(page)
    outside = [u for u in _URL.findall(text) if not _LOCAL.match(u)]
    assert outside == [], f"{page.name} links outside the repository"
    for target in _LINK.findall(text):
        if _LOCAL.match(target):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"{page.name}: {target} is not in the repository"
    repo_pages = {p.name for p in ROOT.rglob("*.md") if ".venv" not in p.parts}
    for named in _NAMED_PAGE.findall(text):
        inside = (page.parent / named).resolve()
        assert not named.startswith("../") or inside.is_relative_to(ROOT), f"{page.name}: {named}"
        assert Path(named).name in repo_pages, f"{page.name} names {named}, which is not in the repository"
