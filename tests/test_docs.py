"""The documentation stays true to the code and whole.

- The generated blocks of docs/*.md (operator tables, the words, the command
  reference, the example files) are what ``scripts/gen_docs.py`` makes from
  the code now: a changed operator, option or example fails here until the
  docs are regenerated.
- docs/job-file.md shows every job file of examples/.
- Every relative link and image of the docs, examples/README.md and README.md
  points at a file that exists, and at a heading that exists.
- README.md links every page of docs/.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LINKED_FROM = [*sorted(DOCS.glob("*.md")), ROOT / "README.md", ROOT / "examples" / "README.md"]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_generated_blocks_are_current(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _gen_docs().render(text) == text, (
        f"{path.name} is out of date: run .venv/bin/python scripts/gen_docs.py"
    )


def test_the_docs_have_the_generated_blocks_they_promise() -> None:
    rules = (DOCS / "rules.md").read_text(encoding="utf-8")
    assert "<!-- generated: operators -->" in rules and "<!-- generated: vocabulary -->" in rules
    assert "<!-- generated: commands -->" in (DOCS / "command-line.md").read_text("utf-8")
    job_file = (DOCS / "job-file.md").read_text(encoding="utf-8")
    for example in sorted((ROOT / "examples").glob("*.json")):
        assert f"<!-- generated: example examples/{example.name} -->" in job_file, example.name


def test_every_operator_and_reserved_field_is_in_rules_md() -> None:
    from bulkprofiles_gui.core.selection import operators as ops

    rules = (DOCS / "rules.md").read_text(encoding="utf-8")
    for kind, entries in ops.OPERATOR_TABLE.items():
        for name, _value_kind in entries:
            assert f"| `{name}` |" in rules, (kind, name)
    for field in ops.RESERVED_KINDS:
        assert f"### `{field}`" in rules and f"#### `{field}`" in rules, field


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#"):
            slug = _slug(line.lstrip("#"))
            number = 0
            unique = slug
            while unique in anchors:
                number += 1
                unique = f"{slug}-{number}"
            anchors.add(unique)
    return anchors


def _links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]


@pytest.mark.parametrize("page", LINKED_FROM, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_images_point_at_what_exists(page: Path) -> None:
    for target in _links(page):
        file_part, _, anchor = target.partition("#")
        path = (page.parent / file_part).resolve() if file_part else page
        assert path.exists(), f"{page.name}: {target} does not exist"
        if anchor:
            assert path.suffix == ".md", f"{page.name}: {target}"
            assert anchor in _anchors(path), f"{page.name}: no heading for #{anchor} in {path.name}"


def test_the_readme_links_every_doc() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Documentation" in readme
    linked = {t.partition("#")[0] for t in _links(ROOT / "README.md")}
    for doc in sorted(DOCS.glob("*.md")):
        assert f"docs/{doc.name}" in linked, doc.name


def test_the_operator_guide_shows_screenshots_that_exist() -> None:
    guide = DOCS / "operator-guide.md"
    images = [t for t in _links(guide) if t.startswith("screenshots/")]
    assert len(images) >= 10
    assert all((DOCS / image).exists() for image in images)


def test_every_key_of_the_settings_file_is_documented(tmp_path: Path) -> None:
    """The keys ``Settings.load`` accepts (tried one by one) are the rows of the
    settings table of docs/command-line.md."""
    import dataclasses
    import json

    from bulkprofiles_gui.core.config import ConfigError, Settings

    defaults = Settings()
    accepted = set()
    for field in dataclasses.fields(Settings):
        path = tmp_path / f"{field.name}.json"
        path.write_text(json.dumps({field.name: getattr(defaults, field.name)}), encoding="utf-8")
        try:
            Settings.load(path)
        except ConfigError as exc:
            assert "unknown key" in str(exc), exc
            continue
        accepted.add(field.name)
    doc = (DOCS / "command-line.md").read_text(encoding="utf-8")
    table = doc[doc.index("| key | default | meaning |") :].split("\n\n")[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE))
    assert accepted and documented == accepted
