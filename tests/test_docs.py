"""The repository stands alone: every citation of the project's own docs in code, scenarios,
presets and the README points at a file and a section that exist, and nothing points outside
the repository."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITATION = re.compile(r"docs/([a-z0-9_]+\.md) §(\d+(?:\.\d+)?)")


def _tracked(*suffixes):
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    return [ROOT / f for f in files if f.endswith(suffixes) and (ROOT / f).is_file()]


def _sections(doc: Path) -> set[str]:
    return set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", doc.read_text(), flags=re.M))


def test_every_docs_citation_points_at_an_existing_section():
    cited = 0
    for path in _tracked(".py", ".yaml", ".md", ".ipynb"):
        for doc, section in CITATION.findall(path.read_text(errors="replace")):
            target = ROOT / "docs" / doc
            assert target.is_file(), f"{path.relative_to(ROOT)} cites missing docs/{doc}"
            assert section in _sections(target), (
                f"{path.relative_to(ROOT)} cites docs/{doc} §{section}, which has no such section")
            cited += 1
    assert cited > 30  # the code does cite the docs


def test_nothing_cites_files_outside_the_repository():
    outside = re.compile(r"\.\./shared|REFERENCES\.md|DESIGN\.md|REFERENCES §|DESIGN §")
    for path in _tracked(".py", ".yaml", ".md", ".ipynb", ".toml", "Makefile"):
        if path.name == "test_docs.py":
            continue
        hits = outside.findall(path.read_text(errors="replace"))
        assert not hits, f"{path.relative_to(ROOT)} cites {hits[0]!r}"


def _cli_commands() -> list[str]:
    import argparse

    from simulator.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


def test_every_cli_command_is_in_the_design_doc_and_the_readme():
    """docs/design.md §6 lists every command of the parser, and the README shows each one."""
    root = Path(__file__).resolve().parents[1]
    design = (root / "docs" / "design.md").read_text(encoding="utf-8")
    section = design[design.index("## 6. Public interface"):]
    if "\n## " in section:
        section = section[:section.index("\n## ")]
    readme = (root / "README.md").read_text(encoding="utf-8")
    commands = _cli_commands()
    assert len(commands) >= 12
    assert [c for c in commands if f"`alvh {c}`" not in section] == []
    assert [c for c in commands if f"alvh {c}" not in readme] == []
    listed = set(re.findall(r"`alvh (\w+)`", section))
    assert listed <= set(commands), listed - set(commands)  # no command the parser lacks
