"""The README's commands work as written, in a clean shell (no activated virtual environment,
a minimal PATH) on a fresh clone: `make run`, then the Quickstart's command block."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bash_block_after(heading: str) -> list[str]:
    """The commands of the first ```bash block under ``heading`` (comments stripped)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(heading):]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    commands = [line.split(" #", 1)[0].strip() for line in block.splitlines()]
    return [c for c in commands if c and not c.startswith("#")]


def test_the_quickstart_block_is_what_this_test_runs():
    commands = _bash_block_after("## Quickstart")
    assert commands[0] == "source .venv/bin/activate"
    assert any(c.startswith("alvh run scenarios/quickstart.yaml") for c in commands)
    assert _bash_block_after("## Set-up")[0] == "make run"


@pytest.mark.slow
def test_readme_commands_in_a_clean_shell_on_a_fresh_clone(tmp_path):
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs a git checkout to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    # the user's shell without any activated virtual environment
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep)
            if p and "venv" not in p and not (Path(p) / "activate").is_file()]
    env = {"HOME": os.environ.get("HOME", str(tmp_path)), "PATH": os.pathsep.join(path),
           "LANG": "C.UTF-8", "ALVH_CACHE_DIR": str(tmp_path / "cache")}
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CACHE_DIR", "PYTHON",
                 "PYENV_VERSION", "PYENV_ROOT"):
        if name in os.environ:
            env[name] = os.environ[name]
    script = "set -e\nmake run\n" + "\n".join(_bash_block_after("## Quickstart")) + "\n"
    done = subprocess.run(["bash", "-c", script], cwd=clone, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    assert (clone / "results" / "quickstart.nc").is_file()
    assert (clone / "results" / "claims" / "claims.csv").is_file()
    assert any((clone / "fig").glob("*.png"))
    assert (clone / "summary.csv").stat().st_size > 0
