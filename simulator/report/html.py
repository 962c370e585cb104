"""``alvh report --html``: one self-contained HTML page per run, the tear sheet to send round.

The page holds the run's facts, the summary tables (as ``alvh report`` prints them), the trade
statistics and a sample of the blotter when the cube has them, every figure of every scenario
inlined as a base64 PNG, the claims table when a ``claims.csv`` lies beside the cube, and the
model, strategy and cost settings. Nothing is loaded from elsewhere (no scripts, fonts,
style sheets or images by URL), so the file opens anywhere, offline, and can be mailed.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import tempfile
from pathlib import Path

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto;
       max-width: 1180px; padding: 16px 20px 40px; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; margin-top: 1.8em; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
.facts { color: #555; font-size: 0.92em; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; white-space: nowrap; }
th { background: #f2f2f2; }
td:first-child, td:nth-child(2), th:first-child, th:nth-child(2) { text-align: left; }
figure { margin: 1em 0 1.6em; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
.note { font-size: 0.85em; color: #555; max-width: 1100px; }
"""


def _table(rows: list[list], head: bool = True) -> str:
    """An HTML table in a horizontally scrolling box (a wide table never widens the page)."""
    out = ['<div class="scroll"><table>']
    for i, row in enumerate(rows):
        tag = "th" if head and i == 0 else "td"
        out.append("<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in row)
                   + "</tr>")
    out.append("</table></div>")
    return "\n".join(out)


def _markdown_tables(text: str) -> str:
    """The summary's Markdown (``format_summary(fmt="markdown")``: tables, then notes) as
    HTML."""
    parts, rows, notes = [], [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= {"-", ":"} for c in cells):
                rows.append(cells)
            continue
        if rows:
            parts.append(_table(rows))
            rows = []
        if line.strip():
            notes.append(line.strip())
    if notes:
        parts.append(f'<p class="note">{html.escape(" ".join(notes))}</p>')
    return "\n".join(parts)


def _png(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _flat(value, prefix: str = "") -> list[list[str]]:
    """Nested settings as (key path, value) rows."""
    if isinstance(value, dict):
        rows = []
        for key, item in value.items():
            rows += _flat(item, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, list) and any(isinstance(x, dict | list) for x in value):
        rows = []
        for i, item in enumerate(value):
            rows += _flat(item, f"{prefix}[{i}]")
        return rows
    return [[prefix, json.dumps(value) if not isinstance(value, str) else value]]


def _settings(cube) -> str:
    out = []
    for attr, title in (("simulation", "Simulation"), ("costs", "Costs"),
                        ("strategies", "Strategies"), ("model_parameters", "Model parameters"),
                        ("scenario_details", "Scenarios"), ("vol_event_rule", "Vol events")):
        try:
            value = json.loads(cube.attrs.get(attr, "null"))
        except (TypeError, ValueError):
            continue
        if value in (None, {}, []):
            continue
        out.append(f"<h3>{title}</h3>")
        out.append(_table([["setting", "value"], *_flat(value)]))
    return "\n".join(out)


def _claims(claims_csv: Path | None) -> str:
    if claims_csv is None or not claims_csv.is_file():
        return ""
    with open(claims_csv, newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return ""
    return (f"<h2>Claims</h2>\n<p class='note'>From {html.escape(claims_csv.name)} beside "
            "the cube (alvh claims).</p>\n" + _table(rows))


def _trades(cube, max_rows: int = 40) -> str:
    if "trade_day" not in cube:
        return ""
    from simulator.results.blotter import blotter_frame, trade_statistics

    stats = trade_statistics(cube)
    n_paths = int(cube.attrs.get("simulation_trade_log_paths", 0)) or "the sampled"
    rows = [["scenario", "strategy", "instrument", "exit", "round trips", "win %",
             "mean P&L %", "total P&L %", "open at horizon"]]
    for r in stats.itertuples():
        rows.append([r.scenario, r.strategy, r.instrument, r.exit_reason, r.round_trips,
                     "" if r.win_rate != r.win_rate else f"{100 * r.win_rate:.0f}",
                     "" if r.mean_pnl != r.mean_pnl else f"{100 * r.mean_pnl:.3f}",
                     f"{100 * r.total_pnl:.3f}", r.open_at_horizon or ""])
    frame = blotter_frame(cube)
    if len(frame):  # the first path of the first scenario, the baseline and one hedge
        shown = list(dict.fromkeys(frame.strategy))[:2]
        first = frame[(frame.path == frame.path.min()) & frame.strategy.isin(shown)
                      & (frame.scenario == frame.scenario.iloc[0])].head(max_rows)
    else:
        first = frame
    blot = [["scenario", "strategy", "path", "day", *(["date"] if (frame.date != "").any()
                                                       else []),
             "instrument", "action", "reason", "strikes", "expiry day", "quantity", "price",
             "premium %", "cost %"]]
    for r in first.itertuples():
        strikes = "/".join(f"{getattr(r, f'strike_{leg}'):g}" for leg in
                           ("put_wing", "short_put", "short_call", "call_wing")
                           if getattr(r, f"strike_{leg}") == getattr(r, f"strike_{leg}"))
        blot.append([r.scenario, r.strategy, r.path, r.day,
                     *([r.date] if len(blot[0]) == 14 else []), r.instrument, r.action,
                     r.reason, strikes, r.expiry_day, f"{r.quantity:.2f}", f"{r.price:.2f}",
                     f"{100 * r.cash_flow:.3f}", f"{100 * r.cost:.4f}"])
    return ("<h2>Trades</h2>\n"
            f"<p class='note'>Closed round trips on {n_paths} path(s) per scenario "
            "(simulation.trade_log_paths): premiums and costs, % of starting equity. "
            "Positions still open at the horizon are counted apart.</p>\n" + _table(rows)
            + f"\n<h3>Blotter: the first path, two strategies, at most {max_rows} trades "
            "(all of them: the cube's trade_* variables)</h3>\n" + _table(blot))


def render_html(cube, table=None, *, claims_csv: Path | None = None, dpi: int = 100,
                figures: list | None = None) -> str:
    """The page as a string (see the module's docstring). ``figures``: PNG files of
    :func:`write_figures` already written for this cube (``alvh report``), inlined as they
    are; otherwise they are drawn at ``dpi``."""
    from simulator.report.figures import footnote, scenario_words, write_figures
    from simulator.results.summary import format_summary, summarize

    if table is None:
        table = summarize(cube)
    name = cube.attrs.get("scenario_name", "run")
    body = [f"<h1>ALVH simulator: {html.escape(str(name))}</h1>",
            f'<p class="facts">{html.escape(footnote(cube))}</p>']
    if cube.attrs.get("description"):
        body.append(f"<p>{html.escape(str(cube.attrs['description']))}</p>")
    body += ["<h2>Summary</h2>", _markdown_tables(format_summary(table, fmt="markdown"))]
    body.append(_claims(claims_csv))
    with tempfile.TemporaryDirectory(prefix="alvh-html-") as tmp:
        paths = [Path(p) for p in figures] if figures is not None else \
            write_figures(cube, tmp, table, fmt="png", dpi=dpi)
        body.append("<h2>Figures</h2>")
        for scenario in (str(s) for s in cube.scenario.values):
            body.append(f"<h3>{html.escape(scenario_words(cube, scenario))}</h3>")
            for path in paths:
                if not path.stem.startswith(f"{scenario}_"):
                    continue
                kind = path.stem.removeprefix(f"{scenario}_").replace("_", " ")
                body.append(f'<figure><img src="{_png(path)}" alt="{html.escape(kind)}, '
                            f'{html.escape(scenario)}"><figcaption>{html.escape(kind)}'
                            "</figcaption></figure>")
    body.append(_trades(cube))
    body += ["<h2>Settings</h2>", _settings(cube)]
    title = html.escape(f"ALVH simulator: {name}")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body>\n</html>\n")


def write_html(cube, path: str | Path, table=None, *, claims_csv: Path | None = None,
               dpi: int = 100, figures: list | None = None) -> Path:
    """Write the page atomically to ``path``; returns it (arguments as
    :func:`render_html`)."""
    from simulator.common.files import atomic_path

    path = Path(path)
    text = render_html(cube, table, claims_csv=claims_csv, dpi=dpi, figures=figures)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return path


__all__ = ["render_html", "write_html"]
