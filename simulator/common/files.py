"""Atomic file writes: a result is either the old file or the whole new one, never a part.

Every writer of the package (results cube, claims tables, run checkpoints, pricing-table cache)
goes through :func:`atomic_path`: write to a temporary file in the target's folder, flush it to
disk, then rename it over the target (a rename within one file system is atomic on POSIX). A
failed or interrupted write removes its temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TMP_SUFFIX = ".tmp"


def cache_dir() -> Path:
    """The folder of the package's caches (pricing tables, stationary curves):
    ``$ALVH_CACHE_DIR``, default ``~/.cache/alvh``."""
    return Path(os.environ.get("ALVH_CACHE_DIR", Path.home() / ".cache" / "alvh"))


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(path: str | Path, *, fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error, the file
    written there gets the usual permissions (0o666 less the umask, where ``mkstemp`` would
    leave it private), is flushed to disk (``fsync``) and renamed onto ``path``.

    The temporary name is ``.<name>.<random>.tmp`` so that :func:`remove_stale` can find the
    leftovers of writes killed mid-way (``kill -9``), which no ``except`` clause sees.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _default_mode())
        if fsync:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        if getattr(err, "filename", None) is None:  # a full disk says ENOSPC, not where: name it
            raise OSError(err.errno, err.strerror or str(err), str(path)) from err
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def remove_stale(path: str | Path) -> None:
    """Remove temporary files of earlier atomic writes to ``path`` (callers hold the output's
    lock, so none of them is in use)."""
    path = Path(path)
    for stale in path.parent.glob(f".{path.name}.*{TMP_SUFFIX}"):
        stale.unlink(missing_ok=True)
