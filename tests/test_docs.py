"""The documentation: links that resolve, a README that stays a short guide, and no development history.

The README and ``docs/`` speak of oxcook as it is (STYLE rules 14 and 16): how a
figure or a module got where it is belongs in git log. The history check reads
every tracked source and documentation file, so it also holds for code merged
from other branches.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [README, REPO / "CHANGELOG.md", *DOCS]

INSTALL_AND_COOK = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install . && "
    "oxcook cook samples/textures -o out/sample && oxcook inspect out/sample"
)
TEST_COMMAND = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest -q"

# Words that tell the project's own history. Each pattern names what it catches; none matches an
# ImportSession ("this session's assets"), "issue" as a verb, or an upstream reference such as
# hiredis-py#196 (STYLE rule 14 allows <project>#<n>).
HISTORY = {
    "a numbered session": re.compile(r"\b[Ss]essions?[- ]#?\d"),
    # "issue 33" or "issue #33", not "would issue 3 resubmits" (a verb before a count)
    "a numbered issue": re.compile(r"\b[Ii]ssues? ?#\d|\b[Ii]ssues? \d+(?:['’]s\b|(?=\s*(?:[)\],.;:!?\"]|$|and\b|or\b)))"),
    "a bare #number": re.compile(r"(?:^|[\s(\[])#\d{1,5}(?![\w-])"),
    "an earlier commit or session": re.compile(
        r"\b(?:previous|earlier|prior|last) (?:session|commit)s?\b|\bbefore this (?:session|commit|change)\b"
        r"|\bsession's (?:base |first |last |own )?commit\b"
    ),
    "what was done until an earlier stage": re.compile(r"\buntil (?:session|issue|commit|now|recently)\b"),
    "a before -> after timing": re.compile(
        r"\d(?:\.\d+)?\s*(?:ms|s|MB|GB|KB|%)?\s*(?:→|->)\s*~?\d+(?:\.\d+)?\s*(?:ms|s|MB|GB|KB|%)(?!\w)"
    ),
}
TRACKED_SUFFIXES = (".py", ".md", ".toml")
TRACKED_NAMES = ("Procfile", "Dockerfile", "docker-compose.yml", ".ci/run")
SKIP_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis"}


def _checked_files() -> list[Path]:
    """Tracked *.py, *.md, *.toml and the service files (every such file under the tree when git cannot say)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60).stdout
        names = [n for n in listed.decode("utf-8", "surrogateescape").split("\0") if n]
    except (OSError, subprocess.SubprocessError):
        names = [
            str(p.relative_to(REPO))
            for p in REPO.rglob("*")
            if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(REPO).parts) and ".egg-info" not in str(p)
        ]
    wanted = [n for n in names if n.endswith(TRACKED_SUFFIXES) or n in TRACKED_NAMES]
    return [REPO / n for n in sorted(wanted) if (REPO / n).is_file() and (REPO / n) != Path(__file__).resolve()]


def _history_hits(text: str) -> list[str]:
    hits = []
    for number, line in enumerate(text.splitlines(), 1):
        for what, pattern in HISTORY.items():
            found = pattern.search(line)
            if found:
                hits.append(f"{number}: {what}: {found.group(0)!r} in {line.strip()[:120]!r}")
    return hits


def test_no_file_tells_the_projects_history():
    found = {}
    for path in _checked_files():
        hits = _history_hits(path.read_text(encoding="utf-8", errors="replace"))
        if hits:
            found[str(path.relative_to(REPO))] = hits
    assert not found, "development history (it belongs in git log):\n" + "\n".join(
        f"{name}:{hit}" for name, hits in found.items() for hit in hits
    )


# The detector's own examples: sentences made up to show what it catches and what it lets pass, spelled
# from parts so that this file tells no history of its own.
_S = "ses" + "sion"


@pytest.mark.parametrize(
    "text",
    [
        f"measured in {_S} 12",
        "session-7's numbers",
        "Sessions 5 and 6",
        "as asked in issue #33",
        "see issue 33",
        "the goal of Issue 11, not met",
        "issue 12's numbers",
        "fixed (#41)",
        "the previous commit, run right after",
        f"before this {_S}'s farm fixes",
        f"as oxcook did until {_S} 6",
        "904 → 717 ms",
        "0.775 -> 0.61 s",
        "1580 → 1028 ms",
    ],
)
def test_history_patterns_catch_history(text):
    assert _history_hits(text)


@pytest.mark.parametrize(
    "text",
    [
        f'"""The index after a {_S}: this {_S}\'s assets replace those with the same"""',
        f"Undo everything this {_S} wrote; the previous container stays valid.",
        "ImportSession 2 emitters",
        "redis-py 5.0.8 passed it a keyword hiredis 3 refuses, hiredis-py#196",
        "a missing lease would issue 3 resubmits",
        "the settings changed (quality: fast → default)",
        "``4096x4096``, ``16M`` or ``0`` (never) → pixels",
        "a 146 MB SET ~365 ms instead of ~95",
        "textures 449792 → 225280 bytes",
        "# 1-bit PNGs are made 8-bit",
        "@pytest.fixture(scope=\"session\")",
        "https://github.com/mher/flower/issues/1342",
    ],
)
def test_history_patterns_spare_the_present(text):
    assert not _history_hits(text)


def test_readme_is_a_short_guide():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; the rest belongs in docs/"


def test_readme_keeps_the_two_set_up_commands_verbatim():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert INSTALL_AND_COOK in lines
    assert TEST_COMMAND in lines


def test_ci_runs_the_readmes_test_command():
    assert TEST_COMMAND in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def _prose(text: str) -> str:
    """``text`` without fenced code blocks and inline code, where a bracket is not a link."""
    text = re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*|_(?=\W)|(?<=\W)_", "", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^(```|~~~).*?^\1", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.M)}


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _relative_links() -> list[tuple[Path, str]]:
    links = []
    for page in PAGES:
        for target in LINK.findall(_prose(page.read_text(encoding="utf-8"))):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: … are not checked here
                links.append((page, target))
    return links


def test_the_documentation_pages_exist():
    names = {p.name for p in DOCS}
    assert {"guide.md", "ci.md", "farm.md", "architecture.md", "performance.md"} <= names
    assert (REPO / "CHANGELOG.md").is_file()


def test_pages_link_to_each_other():
    assert _relative_links(), "no relative links found: the link check would prove nothing"


@pytest.mark.parametrize("page,target", _relative_links(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_every_relative_link_resolves(page, target):
    path, _, anchor = target.partition("#")
    file = (page.parent / path).resolve() if path else page
    assert file.exists(), f"{page.relative_to(REPO)}: link {target!r}: no such file"
    if anchor:
        assert file.suffix == ".md", f"{page.relative_to(REPO)}: link {target!r}: an anchor into a file that is not Markdown"
        assert anchor in _anchors(file), f"{page.relative_to(REPO)}: link {target!r}: no heading with that anchor"


def test_project_urls_name_existing_documents():
    import tomllib

    urls = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"].get("urls", {})
    for name, url in urls.items():
        if not re.match(r"^[a-z][a-z0-9+.-]*:", url):
            assert (REPO / url).is_file(), f"[project.urls] {name} = {url!r}: no such file"
