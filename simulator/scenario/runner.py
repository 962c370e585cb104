"""Run a scenario file: chunks of paths, every strategy on the same paths, checkpoints, cube.

Work is split into units of (scenario, chunk of ``simulation.chunk_paths`` paths). Each
finished unit is saved in a checkpoint folder next to the output (``.NAME.nc.partial/``) as
soon as it is done, so a run that is interrupted (Ctrl-C, a kill, a crash) continues with
``resume=True`` from the last finished unit. The cube is always assembled from the
checkpoint files, so a resumed run gives a cube identical to an uninterrupted one. The output
is written atomically (temporary file + rename) and the checkpoint folder removed afterwards.

Paths of a scenario depend only on (seed, scenario name, path index), never on the chunk size
or on which strategies run (docs/design.md §5).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path

import numpy as np

from simulator.common.conventions import BASELINE
from simulator.common.files import atomic_path
from simulator.scenario.loader import load_scenario
from simulator.scenario.plan import RunPlan
from simulator.scenario.units import UnitMemory, evaluate_unit, record_unit, scenario_workers

_log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


class ResumeError(ValueError):
    """The checkpoint folder belongs to another run (different file text, paths or seed)."""


class OutputError(ValueError):
    """The output cannot be written: locked by another run, not a folder, not writable."""


def chunk_memory(plan: RunPlan) -> int:
    """Bytes of the large arrays of one chunk's work: the paths (spx, v, m, vix), the engine's
    three curves per strategy and the float32 copies of its two books (account and trading);
    on real history also each path-day's
    gather index and ISO date, the expiry schedule's int32 days and contract rows (a condor
    group per strategy at most, four layer slots each), the chunk's VX settlements (one
    (contracts, span days) float64 array: about 12 monthly contracts per 252 days plus the
    listing horizon) and 2 MiB for the expiry list read from the market data per chunk.
    tests/test_robustness_numerics.py checks it against tracemalloc's peak of a unit."""
    cols = plan.n_days + 1
    n_strat = len(plan.strategies)
    chunk = min(plan.simulation.chunk_paths, plan.n_paths)
    per_path_day = 4 * 8 + n_strat * (3 * 8 + 2 * 4)
    extra = 0
    windows = plan.history
    if windows is not None:
        per_path_day += 8 + windows.dates.itemsize + 4 * n_strat + 2 * 4 * 4 * n_strat
        step = int(windows.starts[1] - windows.starts[0]) if windows.n_paths > 1 else 1
        span = min(windows.dates.size, cols + (chunk - 1) * step)
        extra = (span // 21 + 20) * span * 8 + 2 * 2**20
    return chunk * cols * per_path_day + extra


def resource_estimate(plan: RunPlan, overlap: bool = True) -> tuple[int, int]:
    """(peak memory, disk) in bytes a run needs, roughly.

    Memory: the runtime (interpreter, numba, pricing tables: about 384 MiB), the blocks of
    the equity quantiles (256 MiB at most), and the larger of a chunk's work (the paths, the
    engine's three curves per strategy, their float32 copy; the history calendar:
    :func:`chunk_memory`), twice with ``overlap`` (a unit's records are made while the next
    unit's engine runs: :func:`_run_here`), and the end of the run: the cube,
    filled once from the checkpoints, plus the summary's per-field arrays (value, order and
    rank of about 8 fields per strategy). Measured (docs/performance.md): 1 scenario x 2
    strategies at 1,000,000 paths, summary included, peaks at 1.74 GiB resident; this gives
    1.91 GiB. Disk: every chunk's float32 books (account and trading) and records until
    the cube is written, an upper bound: once a finished scenario's quantiles are saved,
    its books' files are set aside for the next scenario's books to be written over, the
    last scenario's deleted (:func:`finish_scenario`), so the folder holds about one
    scenario's books at a time."""
    cols = plan.n_days + 1
    n_strat = len(plan.strategies)
    chunk_work = (2 if overlap else 1) * chunk_memory(plan)
    records = plan.n_paths * (n_strat * (8 * 12 + 8 * (cols // 21) * 2 + 26 * 4)
                              + 8 * 5 + 8 * (cols // 21) + 4 * 4 * 5)  # + the path's own
    summary = n_strat * plan.n_paths * 8 * 24
    end_of_run = len(plan.scenarios) * records + summary
    memory = max(chunk_work, end_of_run) + (384 + 256) * 2**20
    disk = len(plan.scenarios) * (n_strat * plan.n_paths * cols * 8 + records)
    return memory, disk


def physical_memory() -> int | None:
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def parse_memory(text: str) -> int:
    """``2G``, ``1500M``, ``512k`` or a number of bytes -> bytes."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", str(text))
    if not match:
        raise ValueError(f"--max-memory {text!r}: give a size such as 2G, 1500M or 512k")
    scale = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


def check_resources(plan: RunPlan, out: Path | None, max_memory: int | None = None) -> bool:
    """Refuse a run that cannot fit in memory (``max_memory`` bytes, default 80 % of this
    machine's memory) or on disk, before any work; the message gives the estimate. Returns
    whether two units may be alive at once (:func:`_run_here`): only where that fits too."""
    physical = physical_memory()
    limit = max_memory if max_memory is not None else (0.8 * physical if physical else None)
    overlap_memory, _ = resource_estimate(plan, overlap=True)
    memory, disk = resource_estimate(plan, overlap=False)
    gib = 2**30
    chunk = min(plan.simulation.chunk_paths, plan.n_paths)
    shape = f"{plan.n_days + 1} days x {len(plan.strategies)} strategies"
    if limit and memory > limit:
        where = ("--max-memory" if max_memory is not None else
                 f"this machine's {physical / gib:.1f} GiB")
        raise ValueError(
            f"{plan.source}: the run needs about {memory / gib:.2f} GiB of memory (chunks of "
            f"{chunk:,} paths x {shape}; {plan.n_paths:,} paths x {len(plan.scenarios)} "
            f"scenario(s) assembled at the end), more than {limit / gib:.2f} GiB allowed by "
            f"{where}. Lower simulation.chunk_paths (chunk memory) or simulation.paths "
            "(assembly), or raise --max-memory.")
    if out is not None:
        import shutil as _shutil

        where = out.parent if out.parent.exists() else Path.cwd()
        free = _shutil.disk_usage(where).free
        if disk > 0.9 * free:
            raise ValueError(
                f"{plan.source}: simulation.paths: {plan.n_paths:,} paths x {shape} x "
                f"{len(plan.scenarios)} scenario(s) need about {disk / gib:.1f} GiB of "
                f"checkpoints on disk; {free / gib:.1f} GiB are free under {where}.")
    return not limit or overlap_memory <= limit


def check_output(out: Path, overwrite: bool, option: str = "--out") -> None:
    """Finished results are replaced only when asked (``--overwrite``): a rerun with the
    same ``--out`` must not silently destroy a cube that took hours (issue 34, item 7)."""
    out = Path(out)
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise OutputError(f"{option} {out}: holds finished results; add --overwrite to replace "
                          "them, or choose another output")


def lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


@contextmanager
def output_lock(out: Path):
    """An exclusive lock on ``out`` and its checkpoint folder for the whole run: a second run
    with the same ``--out`` is refused (it would delete or mix this one's checkpoints). The
    lock is the kernel's (``flock``, through ``filelock``), so a killed run releases it.

    The lock file is opened with ``O_NOFOLLOW`` and nothing is ever written into it: a symbolic
    link planted at its name is refused, and a file already there (a hard link, a killed run's
    leftover) is only locked, never truncated (issue 34, item 1)."""
    from filelock import FileLock, Timeout

    path = lock_path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"--out {out}: cannot write there ({err.strerror or err})") from None
    if path.is_symlink():
        raise OutputError(f"--out {out}: {path} is a symbolic link, not a lock file; remove it "
                          "(a lock never follows a link)")
    for _ in range(3):
        lock = FileLock(str(path), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise OutputError(f"--out {out}: another run is writing it (it holds {path}); "
                              "wait for it or choose another --out") from None
        except OSError as err:  # ELOOP: a link planted between the check and the open
            raise OutputError(f"--out {out}: cannot lock {path} ({err.strerror or err}); a "
                              "lock file must be a plain file") from None
        if path.exists():
            break
        lock.release()  # locked the file of a run that ended (and unlinked it) meanwhile
    else:
        raise OutputError(f"--out {out}: other runs keep taking {path}; try again")
    try:
        yield
    finally:
        # the lock file goes with the run, whatever its end (unlinking a name never touches
        # another file), removed while still held so that no other run locks a dead inode
        path.unlink(missing_ok=True)
        lock.release()


class Progress:
    """Units done, elapsed time and an ETA (a ``tqdm`` bar on stderr, a notebook widget under
    Jupyter when ipywidgets is installed), and the run's notices written above the bar.

    On a terminal the bar redraws in place; in logs and CI it prints a line at most every 30 s.
    Units restored from checkpoints move the bar without counting towards the rate, so the ETA
    reflects the work left."""

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.total = total
        self.done = 0
        self.computed = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._bar = None

    def _tqdm(self):
        if self._bar is None:
            tqdm = _tqdm_class(self.stream)
            tty = bool(getattr(self.stream, "isatty", lambda: False)())
            self._bar = tqdm(total=self.total, initial=self.done, unit="chunk",
                             file=self.stream, dynamic_ncols=True, leave=True,
                             mininterval=0.1 if tty else 30.0, smoothing=0.1,
                             bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                        "chunks [{elapsed}<{remaining}]{postfix}")
        return self._bar

    def note(self, text: str) -> None:
        """A notice for the user, above the bar (never inside it)."""
        _log.debug(text)
        if not self.enabled:
            return
        if self._bar is None:
            print(text, file=self.stream, flush=True)
        else:
            self._bar.write(text, file=self.stream)

    def skip(self) -> None:
        """A unit restored from a checkpoint."""
        self.done += 1
        if self._bar is not None:
            self._bar.n = self.done
            self._bar.last_print_n = self.done  # not part of the rate
            self._bar.refresh()

    def update(self, label: str) -> None:
        self.done += 1
        self.computed += 1
        if not self.enabled:
            return
        bar = self._tqdm()
        bar.set_description_str(label, refresh=False)
        bar.update(self.done - bar.n)
        if self.done >= self.total:
            self.close()

    def in_flight(self, n: int) -> None:
        """Units submitted and not finished yet (cluster runs)."""
        if self.enabled:
            self._tqdm().set_postfix_str(f"{n} in flight", refresh=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _tqdm_class(stream):
    """The notebook widget inside a Jupyter kernel with ipywidgets (when writing to stderr),
    else the terminal bar."""
    from tqdm import tqdm

    if stream is sys.stderr and "ipykernel" in sys.modules:
        try:
            import ipywidgets  # noqa: F401
            from tqdm.notebook import tqdm as notebook_tqdm
        except ImportError:
            return tqdm
        return notebook_tqdm
    return tqdm


def default_output(plan: RunPlan) -> Path:
    return Path("results") / f"{plan.name}.nc"


def checkpoint_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.partial"


def _unit_name(si: int, ci: int) -> str:
    return f"s{si:03d}_c{ci:06d}"


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


EQUITY_LAYOUT = "book,strategy,day,path"  # of a checkpoint's float32 file: account, trading


# A finished scenario's equity files, kept for the next scenario's books to be written into
# (:func:`finish_scenario`, :func:`_save_equity`).
SPARE_DIR = "spare"


def save_unit(folder: Path, si: int, ci: int, record: dict, equity: np.ndarray) -> None:
    """Equity first, then the record: a unit is complete once its record file exists. The
    record carries the unit's identity and the equity file's checksum, so a resume can tell
    a damaged, truncated or swapped file from a good one. A failed write (a full disk)
    leaves no temporary file behind."""
    stem = _unit_name(si, ci)
    _save_equity(folder, folder / f"{stem}_equity.npy", equity)
    with atomic_path(folder / f"{stem}.npz", fsync=False) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **record, _unit=np.array([si, ci]), _equity_layout=np.array(EQUITY_LAYOUT),
                 _equity_sha256=np.array(_sha256(folder / f"{stem}_equity.npy")))


def _save_equity(folder: Path, path: Path, equity: np.ndarray) -> None:
    """``np.save`` of ``equity`` onto ``path``, atomically: into a spare file (a finished
    scenario's books, :func:`finish_scenario`) where one is left, overwritten in place and
    renamed onto ``path``; else into a new temporary file. Pages the guest has not touched
    lately cost this machine's kernel about 2 ns a byte on their first write, and memory
    freed by deleting files is soon such memory again: new files took 0.14 s of CPU a chunk
    of the claims' books (81 MB), a spare's pages about 0.015 s (docs/performance.md §4,
    "A finished scenario's files written again"). A failed write removes the spare, as
    :func:`~simulator.common.files.atomic_path` removes its temporary file."""
    spares = sorted((folder / SPARE_DIR).glob("*.npy"))
    if not spares:
        with atomic_path(path, fsync=False) as tmp, open(tmp, "wb") as fh:
            np.save(fh, equity)
        return
    spare = spares[0]
    try:
        with open(spare, "r+b") as fh:
            np.save(fh, equity)
            fh.truncate()  # a spare longer than these books (the last chunk's are shorter)
        os.replace(spare, path)
    except OSError as err:
        spare.unlink(missing_ok=True)
        if getattr(err, "filename", None) is None:  # a full disk says ENOSPC, not where
            raise OSError(err.errno, err.strerror or str(err), str(path)) from err
        raise
    except BaseException:
        spare.unlink(missing_ok=True)
        raise


def _load_record(folder: Path, si: int, ci: int) -> dict:
    with np.load(folder / f"{_unit_name(si, ci)}.npz") as data:
        return {k: data[k] for k in data.files if not k.startswith("_")}


def _records_of(folder: Path, si: int, n_chunks: int):
    """Scenario ``si``'s chunk records in path order, each read from disk when asked for."""
    for ci in range(n_chunks):
        yield _load_record(folder, si, ci)


def _quantiles_path(folder: Path, si: int) -> Path:
    return folder / f"s{si:03d}_quantiles.npz"


def _unit_done(folder: Path, si: int, ci: int) -> bool:
    """The unit's record is saved, and its books are on disk or already in its finished
    scenario's quantiles (:func:`finish_scenario`)."""
    stem = _unit_name(si, ci)
    return (folder / f"{stem}.npz").is_file() and (
        (folder / f"{stem}_equity.npy").is_file() or _quantiles_path(folder, si).is_file())


def _unit_intact(folder: Path, si: int, ci: int) -> bool:
    """The unit's record opens, names this unit, its equity file has the recorded checksum
    and this version's layout (checkpoints of an older version are computed again); once
    the scenario's books are in its quantiles file (the equity files deleted), that file is
    checked instead (:func:`_quantiles_intact`)."""
    stem = _unit_name(si, ci)
    try:
        with open(folder / f"{stem}.npz", "rb") as fh, np.load(fh) as data:
            unit = tuple(int(x) for x in data["_unit"])
            checksum = str(data["_equity_sha256"])
            if str(data["_equity_layout"]) != EQUITY_LAYOUT:
                return False
            for key in data.files:  # every array decompresses (a truncated file fails here)
                data[key]
        equity = folder / f"{stem}_equity.npy"
        if not equity.is_file():
            return unit == (si, ci) and _quantiles_intact(folder, si)
        return unit == (si, ci) and checksum == _sha256(equity)
    except Exception:  # any damage at all: the unit is computed again
        return False


def _quantiles_intact(folder: Path, si: int) -> bool:
    """The scenario's quantiles file opens (its members' CRC-32 checked), names this
    scenario and holds finite quantiles."""
    try:
        with open(_quantiles_path(folder, si), "rb") as fh, np.load(fh) as data:
            return (int(data["_scenario"]) == si
                    and bool(np.isfinite(data["quantiles"]).all()))
    except Exception:  # any damage at all: the scenario's units are computed again
        return False


def finish_scenario(folder: Path, si: int, n_chunks: int, quantiles, spare: bool = True
                    ) -> None:
    """Once every unit of scenario ``si`` is saved: the quantiles by day of its books
    (:func:`simulator.results.cube.equity_quantiles`, read back from its equity files while
    they are still in the page cache) written to its quantiles file, then its equity files
    moved to the spare folder (``spare``; else deleted). The books are read only for these
    quantiles, so a finished scenario needs none of its float32 books: the checkpoints hold
    one scenario's books at a time, not the run's, and the next scenario's are written into
    the same files' pages (:func:`_save_equity`; docs/performance.md §4, "Each scenario's
    fans when it ends" and "A finished scenario's files written again"). A crash between
    the two steps leaves both, and a resume reads the quantiles file."""
    from simulator.results.cube import equity_quantiles

    parts = [folder / f"{_unit_name(si, ci)}_equity.npy" for ci in range(n_chunks)]
    fans = equity_quantiles(parts, quantiles)
    with atomic_path(_quantiles_path(folder, si), fsync=False) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, quantiles=fans, _scenario=np.array(si))
    if spare:
        (folder / SPARE_DIR).mkdir(exist_ok=True)
    for part in parts:
        if spare:
            os.replace(part, folder / SPARE_DIR / part.name)
        else:
            part.unlink()


def _scenario_saved(folder: Path, si: int, n_chunks: int) -> bool:
    """Every unit of scenario ``si`` has its record and its equity file on disk."""
    return all((folder / f"{_unit_name(si, ci)}.npz").is_file()
               and (folder / f"{_unit_name(si, ci)}_equity.npy").is_file()
               for ci in range(n_chunks))


def _verify_checkpoints(folder: Path, n_scenarios: int, n_chunks: int,
                        progress: Progress) -> None:
    """Before a resume computes anything: drop every finished unit that is not intact."""
    bad = []
    for si in range(n_scenarios):
        if _quantiles_path(folder, si).is_file() and not _quantiles_intact(folder, si):
            # the units whose equity files it replaced are no longer done: computed again
            _quantiles_path(folder, si).unlink()
            progress.note(f"resuming: {_quantiles_path(folder, si).name} is damaged; the "
                          "scenario's chunks whose books it held will be computed again")
        for ci in range(n_chunks):
            if _unit_done(folder, si, ci) and not _unit_intact(folder, si, ci):
                bad.append(_unit_name(si, ci))
                for suffix in (".npz", "_equity.npy"):
                    (folder / f"{_unit_name(si, ci)}{suffix}").unlink(missing_ok=True)
    for stale in folder.glob(".*.tmp"):  # from a write that was killed
        stale.unlink(missing_ok=True)
    if bad:
        progress.note(f"resuming: {len(bad)} damaged chunk(s) will be computed again "
                      f"({', '.join(bad[:5])}{', ...' if len(bad) > 5 else ''})")


def _prepare_checkpoints(folder: Path, plan: RunPlan, resume: bool, progress: Progress,
                         overwrite: bool = False):
    manifest = {"fingerprint": plan.fingerprint(), "scenario_file": plan.source,
                "n_paths": plan.n_paths, "seed": str(plan.seed)}
    path = folder / MANIFEST
    if folder.exists():
        old = None
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            pass
        if resume:
            if old is None or old.get("fingerprint") != manifest["fingerprint"]:
                raise ResumeError(
                    f"{folder}: the checkpoints belong to a different run (the scenario "
                    "file, --paths or --seed changed, or another package version); run "
                    "without --resume to start over")
            done = len(list(folder.glob("s*_c*.npz")))
            progress.note(f"resuming: {done} finished chunk(s) found in {folder}")
            return
        n_old = len(list(folder.glob("s*_c*.npz")))
        if n_old and not overwrite:
            raise ResumeError(
                f"{folder} holds {n_old} finished chunk(s) of an earlier run: continue it "
                "with --resume, or discard them with --overwrite")
        if n_old:
            progress.note(f"discarding {n_old} finished chunk(s) of an earlier run in "
                          f"{folder} (--overwrite)")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path.write_text(json.dumps(manifest, indent=1))


def run_plan(plan: RunPlan, *, out: str | Path | None = None, resume: bool = False,
             progress: bool | Progress = False,
             on_unit: Callable[[int, int], None] | None = None, overwrite: bool = False,
             summary: bool = False, client=None, max_memory: int | None = None,
             meanwhile: Callable | None = None):
    """Run a validated plan; returns the cube and writes it to ``out`` when given.

    ``max_memory`` (bytes): refuse, before any work, a plan whose estimated peak memory is
    larger (default: 80 % of this machine's memory).

    ``client``: a ``dask.distributed.Client``; each (scenario, chunk) unit is then a task on
    its cluster (:mod:`simulator.scenario.cluster`), and the cube is the same as a local run's.

    ``summary``: also compute the summary table (bootstrap CIs against ``unhedged``) and store
    it in the cube (``cube.summary``), so ``summarize`` and ``alvh report`` reuse it.

    ``on_unit(scenario_index, chunk_index)`` is called after each unit is checkpointed.
    ``meanwhile(cube)`` is called with the finished cube while it is written to ``out``
    (:func:`simulator.results.cube.write_cube`), so that work on the results overlaps the
    write (``alvh claims`` evaluates the claims there); an error in it leaves no output.
    Finished chunks of an earlier, interrupted run at ``out`` are continued with ``resume``
    or discarded with ``overwrite``; with neither the run is refused (nothing is lost by
    accident). A finished cube at ``out`` is replaced only with ``overwrite``.
    """
    sim_cfg = plan.simulation
    n_paths, chunk = plan.n_paths, sim_cfg.chunk_paths
    starts = list(range(0, n_paths, chunk))
    total = len(plan.scenarios) * len(starts)
    if not isinstance(progress, Progress):
        progress = Progress(total, enabled=bool(progress))

    tmp_root = None
    out_of_memory = False
    if out is None:
        if resume:
            raise ValueError("resume needs an output path (the checkpoints live beside it)")
        tmp_root = tempfile.TemporaryDirectory(prefix="alvh-run-")
        folder = Path(tmp_root.name) / "partial"
    else:
        out = Path(out)
        folder = checkpoint_dir(out)
    try:
        # everything that can reject the input happens before the checkpoint folder exists
        if out is not None:
            check_output(out, overwrite)  # before a table is built or a cluster used
        overlap = check_resources(plan, out, max_memory)
        if client is None:
            _announce_first_run(plan, progress)
            workers = scenario_workers(plan)
            execute = partial(_run_here, workers=workers, overlap=overlap)
        else:
            from simulator.scenario.cluster import run_on_cluster

            execute = partial(run_on_cluster, client=client)
        with output_lock(out) if out is not None else nullcontext():
            if out is not None:
                check_output(out, overwrite)  # again under the lock: another run may have ended
            return _run_units(plan, execute, folder, starts, out, resume, progress, on_unit,
                              overwrite, summary, meanwhile)
    except MemoryError:
        out_of_memory = True  # raised below, after this frame lets go of the chunk's arrays
    finally:
        if tmp_root is not None:
            tmp_root.cleanup()
    if out_of_memory:
        _refuse_out_of_memory(plan, folder, resume)


class OutOfMemory(ValueError):
    """The run needed more memory than the machine (or its limit) gave it."""


def _refuse_out_of_memory(plan: RunPlan, folder: Path, resume: bool) -> None:
    """A MemoryError is a refusal like the estimate's, not a crash: no traceback, and no
    checkpoint folder left by this run (one resumed keeps the chunks it had)."""
    if not resume:
        shutil.rmtree(folder, ignore_errors=True)
    memory, _ = resource_estimate(plan)
    gib = 2**30
    raise OutOfMemory(
        f"{plan.source}: out of memory (the run was estimated at {memory / gib:.2f} GiB with "
        f"chunks of {min(plan.simulation.chunk_paths, plan.n_paths):,} paths x "
        f"{plan.n_days + 1} days x {len(plan.strategies)} strategies). Lower "
        "simulation.chunk_paths or simulation.paths, or free memory.")


def _announce_first_run(plan: RunPlan, progress: Progress) -> None:
    """Say so before a silent wait: pricing tables that are not cached yet take about 40 s
    per model to build (the numba kernels compile once too, on a fresh installation)."""
    from simulator.pricing.pricer import tables_cached_for_model
    from simulator.pricing.tables import cache_dir

    missing = {sc.model.name or "model" for sc in plan.scenarios
               if not tables_cached_for_model(sc.model)}
    if missing:
        progress.note(f"building pricing tables for {', '.join(sorted(missing))} once (about "
                      "40 s each on two cores, a minute for a two-factor model; cached in "
                      f"{cache_dir() / 'tables'}); on a fresh "
                      "installation the kernels compile first (a few minutes); later runs "
                      "start in seconds")


def _run_here(plan, units, save, done, progress, *, workers, overlap=True):
    """Compute ``units`` in this process, in order, two at a time in part: a unit's records
    (per-path metrics, float32 books, checkpoint: :func:`record_unit`, ``save``) are made in a
    second thread while this one computes the next unit's paths and engine, whose kernels
    release the GIL. On two cores that saved about 40 % of the records' time in the runner's
    benchmark and about a third in the claims run, the rest taken from the engine's threads
    (docs/performance.md §4, "Records beside the engine"). Two chunks' work is then alive at
    once (:func:`resource_estimate`): ``overlap=False`` (where that would not fit in memory)
    runs the units one after another. Each unit is reported (``done``: the progress bar,
    ``on_unit``) from this thread, in order, once its checkpoint is written; an error of its
    records is raised here, and an interrupt waits for the records under way, so a unit whose
    engine finished is not lost. Numba's workqueue threading layer cannot run two parallel
    kernels at once: under it the units run one after another.

    The units' books are written into the same memory from unit to unit (:class:`UnitMemory`:
    one per unit alive at once, used in turn): unit j's memory was unit j - 2's, saved
    before unit j - 1's records began."""
    from concurrent.futures import ThreadPoolExecutor

    memories = [UnitMemory() for _ in range(2 if overlap else 1)]

    def finish(si, ci, engine, paths, result, start, memory):
        save(si, ci, *record_unit(plan, engine, paths, result, start, memory))

    pending = None  # (scenario, chunk, future) of the unit whose records are being made
    with ThreadPoolExecutor(1, thread_name_prefix="alvh-records") as records:
        for j, (si, ci, start, n) in enumerate(units):
            memory = memories[j % len(memories)]
            engine, paths, result = evaluate_unit(plan, workers, si, start, n, memory)
            if pending is not None:
                pending[2].result()
                done(pending[0], pending[1])
                pending = None
            if overlap and _threads_overlap():
                pending = (si, ci, records.submit(finish, si, ci, engine, paths, result, start,
                                                  memory))
            else:
                finish(si, ci, engine, paths, result, start, memory)
                done(si, ci)
            del paths, result  # the thread holds them until the unit is saved
        if pending is not None:
            pending[2].result()
            done(pending[0], pending[1])


def _threads_overlap() -> bool:
    """Numba's threading layer runs parallel kernels from two threads at once (OpenMP, TBB;
    not the workqueue, which aborts the process on a concurrent launch). Known once a parallel
    kernel has run (the first unit's engine has)."""
    import numba

    try:
        return numba.threading_layer() in ("omp", "tbb")
    except ValueError:  # no parallel kernel has run yet
        return False


def _run_units(plan, execute, folder, starts, out, resume, progress, on_unit, overwrite,
               summary, meanwhile=None):
    from simulator.results.cube import (
        assemble,
        equity_quantile_variables,
        equity_quantiles,
        write_cube,
    )

    sim_cfg = plan.simulation
    n_paths, chunk = plan.n_paths, sim_cfg.chunk_paths
    _prepare_checkpoints(folder, plan, resume, progress, overwrite)
    if resume:
        _verify_checkpoints(folder, len(plan.scenarios), len(starts), progress)
    units = []  # (scenario, chunk, first path, paths) still to compute
    for si in range(len(plan.scenarios)):
        for ci, start in enumerate(starts):
            if _unit_done(folder, si, ci):
                progress.skip()
            else:
                units.append((si, ci, start, min(chunk, n_paths - start)))

    def save(si, ci, record, equity):
        """A computed unit, checkpointed at once (a crash later loses nothing finished), and
        its scenario's quantiles once its last unit is saved (:func:`finish_scenario`); may
        run in a second thread (:func:`_run_here`)."""
        save_unit(folder, si, ci, record, equity)
        if _scenario_saved(folder, si, len(starts)):
            # the last scenario's books have no next scenario to take their files
            finish_scenario(folder, si, len(starts), sim_cfg.quantiles,
                            spare=si < len(plan.scenarios) - 1)

    def done(si, ci):
        """A unit saved: reported in the caller's thread."""
        progress.update(plan.scenarios[si].name)
        if on_unit is not None:
            on_unit(si, ci)

    execute(plan, units, save, done, progress)

    def scenario_quantiles(si):
        """Scenario ``si``'s quantiles by day: from its quantiles file, or (a run resumed
        after a crash that left every unit saved and no quantiles) from its equity files."""
        if _quantiles_path(folder, si).is_file():
            with np.load(_quantiles_path(folder, si)) as data:
                return data["quantiles"]
        return equity_quantiles([folder / f"{_unit_name(si, ci)}_equity.npy"
                                 for ci in range(len(starts))], sim_cfg.quantiles)

    def quantile_variables():
        """The books' quantiles by day over all paths: read while the cube's other
        variables are written."""
        return equity_quantile_variables(plan, [scenario_quantiles(si)
                                                for si in range(len(plan.scenarios))])

    # records are read one chunk at a time while the cube is filled (memory: the cube once)
    records = [_records_of(folder, si, len(starts)) for si in range(len(plan.scenarios))]
    cube = assemble(plan, records, None)
    if summary and (BASELINE in cube.strategy.values or plan.paired_with):
        from simulator.results.summary import SUMMARY_VARIABLE, summarize, summary_variable

        progress.note("computing the summary (bootstrap CIs, each hedged book against its "
                      "baseline)")
        table = summary_variable(summarize(cube, recompute=True))
        # values only: the cube's own scenario/strategy coordinates (and their attributes) stay
        cube = cube.assign_coords(summary_field=table.summary_field)
        cube[SUMMARY_VARIABLE] = (table.dims, table.values, table.attrs)
    if out is not None:
        # quantiles added to the cube too
        write_cube(cube, out, late=quantile_variables, meanwhile=meanwhile)
        shutil.rmtree(folder, ignore_errors=True)
    else:
        cube = cube.merge(quantile_variables())
        if meanwhile is not None:
            meanwhile(cube)
    return cube


def run(path, n_paths: int | None = None, seed: int | None = None, *,
        out: str | Path | None = None, resume: bool = False, progress: bool = False,
        overwrite: bool = False, summary: bool = True, client=None):
    """Run a scenario and return its results cube (docs/design.md §4), with its summary
    table stored in it (``summary=False`` skips the bootstrap). ``client``: a
    ``dask.distributed.Client`` to run the units on its cluster (the same cube).

    ``path``: a scenario file, a scenario as a dict (the file's sections, e.g. from
    ``yaml.safe_load`` or built in a notebook), or a plan :func:`load_scenario` returned.

    >>> import simulator as sim
    >>> cube = sim.run("scenarios/quickstart.yaml", n_paths=2_000, seed=1)   # doctest: +SKIP
    >>> sim.summarize(cube)                                                  # doctest: +SKIP
    >>> sim.run({"name": "mine", "simulation": {"paths": 500},               # doctest: +SKIP
    ...          "strategies": {"unhedged": {"condor": {"preset": "monthly_16_delta"}}}})

    ``n_paths`` and ``seed`` override the file's ``simulation.paths`` and ``seed``. With
    ``out`` the cube is also written there (NetCDF, atomically); ``resume=True`` continues an
    interrupted run with the same ``out`` from its checkpoints.
    """
    plan = as_plan(path, n_paths=n_paths, seed=seed)
    return run_plan(plan, out=out, resume=resume, progress=progress, overwrite=overwrite,
                    summary=summary, client=client)


def as_plan(scenario, *, n_paths: int | None = None, seed: int | None = None) -> RunPlan:
    """A validated plan from a scenario file's path, a dict of its sections, or a plan (with
    ``n_paths``/``seed`` applied: the plan's own text is validated again with them)."""
    from collections.abc import Mapping

    import yaml

    from simulator.scenario.loader import parse_scenario

    if isinstance(scenario, RunPlan):
        if n_paths is None and seed is None:
            return scenario
        source = Path(scenario.source)
        return parse_scenario(scenario.text, source=scenario.source,
                              base_dir=source.parent if source.parent.is_dir() else None,
                              n_paths=n_paths, seed=seed)
    if isinstance(scenario, Mapping):
        try:
            text = yaml.safe_dump(dict(scenario), sort_keys=False)
        except yaml.YAMLError as err:
            raise TypeError(f"the scenario dict holds a value YAML cannot write: {err}") \
                from None
        return parse_scenario(text, source="<dict>", base_dir=Path.cwd(), n_paths=n_paths,
                              seed=seed)
    if isinstance(scenario, str | Path):
        return load_scenario(scenario, n_paths=n_paths, seed=seed)
    raise TypeError(f"run: give a scenario file, a dict of its sections or a loaded scenario "
                    f"(load_scenario), not {type(scenario).__name__}")
