"""The claims' outputs: ``claims.md`` (verdict table and evidence), ``claims.csv`` (one row a
finding), and the terminal's one line a claim; files are written atomically."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict
from pathlib import Path

from simulator.common.files import write_text
from simulator.report.claims.catalogue import CLAIMS, CLAIMS_FILE, ClaimResult, Finding


def figure(f: Finding) -> str:
    """The estimate with its CI, in the finding's unit."""
    def fmt(x):
        if math.isnan(x):
            return "not within the run"
        if f.percent:
            return f"{100 * x:.{2 if abs(x) < 0.01 else 1}f}"
        return f"{x:.1f}" if f.unit in ("SD", "trading days") else f"{x:.2f}"
    unit = f" {f.unit}" if f.unit and not math.isnan(f.estimate) else ""
    if f.exact or math.isnan(f.ci_low):
        return f"{fmt(f.estimate)}{unit}" + (" (exact)" if f.exact else "")
    return f"{fmt(f.estimate)}{unit} [{fmt(f.ci_low)}, {fmt(f.ci_high)}]"


def csv_unit(f: Finding) -> str:
    """The unit of the numbers claims.csv holds: fractions where the text shows % ("% of risk
    capital" is shown as 85 but stored as 0.85: "fraction of risk capital", issue 32)."""
    return "fraction" + f.unit[1:] if f.percent else f.unit


CSV_COLUMNS = ("claim", "claim_text", "verdict", "what", "scenario", "strategy", "estimate",
               "ci_low", "ci_high", "unit", "claimed", "claimed_low", "claimed_high",
               "consistent", "exact", "paths", "seed")


def claims_csv(results: list[ClaimResult], *, paths: int, seed) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in results:
        for f in r.findings:
            row = asdict(f)
            row |= {"claim_text": CLAIMS[r.claim], "verdict": r.verdict, "unit": csv_unit(f),
                    "consistent": f.consistent, "paths": paths, "seed": seed}
            writer.writerow({k: ("" if isinstance(row[k], float) and math.isnan(row[k])
                                 else row[k]) for k in CSV_COLUMNS})
    return out.getvalue()


def verdict_table(results: list[ClaimResult]) -> str:
    """The Markdown verdict table: claim, verdict, headline figures with CIs, claimed values."""
    lines = ["| claim | verdict | simulated figure (95 % CI) | claimed |", "|---|---|---|---|"]
    for r in results:
        figures = "<br>".join(f"{f.what}: {figure(f)}" for f in r.headlines)
        claimed = "<br>".join(f.claimed or "-" for f in r.headlines)
        lines.append(f"| **{r.claim}** {CLAIMS[r.claim]} | {r.verdict} | {figures} | "
                     f"{claimed} |")
    return "\n".join(lines)


def claims_markdown(results: list[ClaimResult], *, paths: int, seed, version: str,
                    command: str, model: str = "") -> str:
    lines = [
        "# Claims C1-C13 put to the model",
        "",
        f"{paths:,} paths per scenario, seed {seed}, "
        + (f"model {model}, " if model else "") + f"alvh-simulator {version}; "
        f"scenarios/claims.yaml. Reproduce: `{command}`.",
        "Figures: estimate [95 % bootstrap CI over paths]; \"(exact)\": a model calculation "
        "without sampling error. Risk capital = what the open condor tranche may lose "
        "(risk_per_tranche, 2.5 % of equity: max loss + hedge stack + round-trip costs); "
        "drawdowns are those of the trading book (no interest on idle cash).",
        "",
        verdict_table(results),
        "", "## Evidence, claim by claim", ""]
    for r in results:
        lines += [f"### {r.claim}: {r.verdict}", "", f"> {CLAIMS[r.claim]}", "",
                  r.explanation, "", "| what was simulated | scenario | figure (95 % CI) | "
                  "claimed | in range |", "|---|---|---|---|---|"]
        for f in r.findings:
            ok = {True: "yes", False: "no", None: ""}[f.consistent]
            lines.append(f"| {f.what} | {f.scenario} | {figure(f)} | {f.claimed} | {ok} |")
        lines.append("")
    return "\n".join(lines)


def write_claims(results: list[ClaimResult], out_dir: str | Path, *, paths: int, seed,
                 version: str, command: str, model: str = "") -> tuple[Path, Path]:
    """Write ``claims.md`` and ``claims.csv`` (each atomically) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, csv_path = out / "claims.md", out / "claims.csv"
    write_text(csv_path, claims_csv(results, paths=paths, seed=seed))
    write_text(md, claims_markdown(results, paths=paths, seed=seed, version=version,
                                   command=command, model=model))
    return md, csv_path


def claims_command(*, paths: int, seed, out_dir, scenario_file=None, model=None) -> str:
    parts = ["alvh claims", f"--paths {paths}", f"--seed {seed}", f"--out {out_dir}"]
    if scenario_file is not None and Path(scenario_file).resolve() != CLAIMS_FILE:
        parts.append(f"--scenario {scenario_file}")
    if model is not None:
        parts.append(f"--model {model}")
    return " ".join(parts)


def format_verdicts(results: list[ClaimResult]) -> str:
    """One line per claim: id, verdict and its main figure (for the terminal)."""
    lines = []
    for r in results:
        lines.append(f"{r.claim:4s} {r.verdict}")
        for f in r.headlines:
            lines.append(f"     {f.what}: {figure(f)}"
                         + (f" (claimed {f.claimed})" if f.claimed else ""))
    return "\n".join(lines)
