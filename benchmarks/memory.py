"""``make bench-memory``: peak resident memory of ``alvh run`` at a million paths.

Runs ``alvh run benchmarks/scenarios/memory.yaml`` (one scenario, unhedged + ALVH 40/40/20,
252 days, 1,000,000 paths, the summary included) in a child process and reads its peak
resident set size from the operating system (``getrusage(RUSAGE_CHILDREN)``: everything the
run touched, numba, the pricing tables, the checkpoint files' mapped pages and the cube
included). Results go to ``benchmarks/results/memory.json``.

    python -m benchmarks.memory [--paths N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

TARGET_GIB = 2.0
SCENARIO = "benchmarks/scenarios/memory.yaml"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--out", default="benchmarks/results/memory.json")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="alvh-memory-"))
    cube = folder / "memory.nc"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "simulator.cli", "run", SCENARIO, "--paths",
                    str(args.paths), "--out", str(cube), "-q"], check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 2**30  # KiB
    result = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "what": "alvh run benchmarks/scenarios/memory.yaml: 1 scenario x 2 strategies (unhedged, "
                "ALVH 40/40/20), 252 days, summary included",
        "n_paths": args.paths, "seconds": round(seconds, 1),
        "peak_resident_gib": round(peak_gib, 3), "target_peak_gib": TARGET_GIB,
        "cube_file_gib": round(cube.stat().st_size / 2**30, 3),
    }
    cube.unlink()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"alvh run at {args.paths:,} paths x 2 strategies: peak {result['peak_resident_gib']} "
          f"GiB resident (target <= {TARGET_GIB} GiB), {result['seconds']} s; results written to "
          f"{out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
