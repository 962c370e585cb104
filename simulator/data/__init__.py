"""Files shipped with the package: the market data (``market/``, with ``SOURCES.md``) and the
scenario files (``scenarios/``, the repository's top-level ``scenarios/`` folder)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_scenarios() -> dict[str, Path]:
    """The shipped scenario files by name (``quickstart`` -> .../scenarios/quickstart.yaml)."""
    folder = resources.files(__name__) / "scenarios"
    return {Path(str(f)).stem: Path(str(f)) for f in sorted(folder.iterdir(), key=str)
            if str(f).endswith(".yaml")}


def resolve_scenario(name: str | Path) -> Path:
    """A scenario file path as given when it exists; otherwise the shipped file of that name
    (``quickstart``, ``quickstart.yaml`` or ``scenarios/quickstart.yaml``), so the README's
    commands work from any folder once the package is installed. Unknown names come back
    unchanged (the loader then says "no such file")."""
    path = Path(name)
    if path.exists():
        return path
    shipped = bundled_scenarios()
    stem = path.name[:-5] if path.name.endswith(".yaml") else path.name
    if stem in shipped and path.parent in (Path("."), Path("scenarios")):
        return shipped[stem]
    return path
