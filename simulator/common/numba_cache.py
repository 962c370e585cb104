"""Where numba keeps its compiled kernels: one folder per version of the package's source.

numba's on-disk cache (``cache=True``) checks only the source file of the function it compiled.
A kernel that inlines a step function from another file (``inline="always"``: the QE step, the
Philox draws, the pricing lookups) keeps its old machine code after that other file changes,
and computes with the old step until its own file changes: after an upgrade, results would be
silently wrong. So the cache folder is keyed on a digest of every source file of the package:
any change of any kernel's code starts from an empty folder and compiles afresh (a minute or
two, once). The folder is ``$NUMBA_CACHE_DIR/alvh-<digest>`` if the user set one, else
``$ALVH_CACHE_DIR/numba/<digest>`` (default ``~/.cache/alvh``), beside the pricing tables.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def source_digest(package: Path = PACKAGE) -> str:
    """SHA-256 (16 hex digits) of a package's Python sources, names and contents."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_folder(digest: str) -> Path:
    """The user's ``NUMBA_CACHE_DIR`` (if they set it) or ``$ALVH_CACHE_DIR/numba``, then a
    folder of this digest."""
    user = os.environ.get("NUMBA_CACHE_DIR")
    if user and user != os.environ.get("ALVH_NUMBA_CACHE"):  # not one this module set
        return Path(user) / f"alvh-{digest}"
    root = Path(os.environ.get("ALVH_CACHE_DIR", Path.home() / ".cache" / "alvh"))
    return root / "numba" / digest


def use_versioned_cache() -> None:
    """Point numba's cache at the folder of this source (before or after numba is imported:
    the kernels' caches are located when their modules load, after this runs). A child
    process of the same source (a CLI subprocess, a Dask worker) reuses its parent's folder
    (``ALVH_NUMBA_CACHE``), whatever its own ``ALVH_CACHE_DIR``."""
    digest = source_digest()
    inherited = os.environ.get("ALVH_NUMBA_CACHE")
    if inherited and Path(inherited).name.endswith(digest):
        folder = inherited
    else:
        folder = str(cache_folder(digest))
    os.environ["ALVH_NUMBA_CACHE"] = folder
    os.environ["NUMBA_CACHE_DIR"] = folder
    if "numba" in sys.modules:
        sys.modules["numba"].config.CACHE_DIR = folder
