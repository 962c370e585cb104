"""The outputs of ``alvh optimize``, in its output folder:

* ``optimize.nc``: the cube of every trial (its parameters, state, metrics with 95 % CIs,
  feasibility, Pareto membership), the presets' metrics, and the candidates' out-of-sample
  metrics (fresh seeds, real windows) and winner's-curse gaps;
* ``optimize.md``: the report (front, presets, importances, out of sample, recommendation);
* ``front.png``: the Pareto front in the report's figure style (footnote: what was run);
* ``recommended_hedge.yaml``: the recommended design as a hedge preset file, loadable with
  ``hedge: {preset: recommended_hedge.yaml}`` from a scenario file beside it;
* ``optimize.db``: the Optuna study (SQLite), written during the search (``--resume``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from simulator.common.files import atomic_path
from simulator.optimize import metrics as M
from simulator.optimize.runner import OptimizeResult, gap, pareto_front
from simulator.optimize.space import base_document, design
from simulator.optimize.study import complete_trials, feasible

PRESET_MARKERS = {"preset_alvh_40_40_20": ("s", "40/40/20 (shipped)"),
                  "preset_single_front": ("^", "single front (shipped)"),
                  "preset_alvh_4_4_2": ("D", "4/4/2 contracts (shipped)")}


def _pct(x: float, digits: int = 1) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f} %"


def _fmt(metric: M.Metric, v) -> str:
    """A value with its CI, in the metric's units."""
    est, lo, hi = v
    if metric.name == "trading_max_drawdown":
        scale, unit, d = 100.0, " % of risk capital", 1
    elif metric.name == "drawdown_cut":
        scale, unit, d = 100.0, " %", 1
    else:
        scale, unit, d = 100.0, " %/yr", 2
    if not np.isfinite(est):
        return "n/a"
    ci = "" if not (np.isfinite(lo) and np.isfinite(hi)) else \
        f" [{scale * lo:.{d}f}, {scale * hi:.{d}f}]"
    return f"{scale * est:.{d}f}{unit}{ci}"


def _axes_metrics(spec) -> tuple[M.Metric, M.Metric]:
    """The figure's axes: a drag metric across (x) and a drawdown metric up (y) when the
    search has them, else its first two metrics (or the one twice)."""
    ms = list(spec.metrics)
    x = next((m for m in ms if m.name == "drag"), ms[0])
    rest = [m for m in ms if m is not x]
    y = next((m for m in rest if m.name in ("drawdown_cut", "trading_max_drawdown")),
             rest[0] if rest else x)
    return x, y


def _minimised(metric: M.Metric, spec) -> bool:
    for m, d in spec.objectives:
        if m.text == metric.text:
            return d == "minimize"
    return metric.name in ("drag", "trading_max_drawdown", "hedge_premium")


def front_mask(result: OptimizeResult, trials) -> np.ndarray:
    """The feasible trials not dominated on the figure's two metrics."""
    x, y = _axes_metrics(result.spec)
    if not trials:
        return np.zeros(0, bool)
    pts = np.array([[t.user_attrs["metrics"][m.text][0] * (1 if _minimised(m, result.spec)
                                                           else -1) for m in (x, y)]
                    for t in trials])
    ok = np.array([feasible(t) for t in trials]) & np.isfinite(pts).all(axis=1)
    mask = np.zeros(len(trials), bool)
    if ok.any():
        mask[np.flatnonzero(ok)] = pareto_front(pts[ok])
    return mask


def footnote(result: OptimizeResult) -> str:
    """What was run, as the report's figures say it (simulator/report/figures.py)."""
    from simulator._version import __version__

    plan = result.plan
    models = sorted({sc.model.name or "custom" for sc in plan.scenarios})
    n_done = len(result.study.get_trials(deepcopy=False))
    return (f"{plan.n_paths:,} paths x {plan.n_days} trading days per trial, seed {plan.seed}; "
            f"model {', '.join(models)}; costs {plan.costs.preset or 'custom'}; {n_done} "
            f"trials ({result.spec.config.sampler.upper()}); {Path(plan.source).name} "
            f"(alvh-simulator {__version__}). Prices under Q, paths under P.")


def front_figure(result: OptimizeResult):
    """Every complete trial on the figure's two metrics, the feasible front with 95 % CIs,
    the shipped presets and the recommended design marked."""
    from simulator.report.figures import _percent_axis, _plt

    plt = _plt()
    spec = result.spec
    x, y = _axes_metrics(spec)
    trials = complete_trials(result.study)
    fig, ax = plt.subplots(figsize=(8.0, 5.6))
    if trials:
        vals = np.array([[t.user_attrs["metrics"][m.text] for m in (x, y)] for t in trials])
        ok = np.array([feasible(t) for t in trials])
        front = front_mask(result, trials)
        ax.scatter(100 * vals[~ok, 0, 0], 100 * vals[~ok, 1, 0], s=12, color="0.75",
                   label="trial, constraints not met")
        ax.scatter(100 * vals[ok & ~front, 0, 0], 100 * vals[ok & ~front, 1, 0], s=14,
                   color="tab:blue", alpha=0.5, label="trial")
        f = vals[front]
        order = np.argsort(f[:, 0, 0])
        f = f[order]
        ax.errorbar(100 * f[:, 0, 0], 100 * f[:, 1, 0],
                    xerr=100 * np.abs(f[:, 0, 1:].T - f[:, 0, 0]),
                    yerr=100 * np.abs(f[:, 1, 1:].T - f[:, 1, 0]), fmt="o-", color="tab:blue",
                    ms=5, lw=1.2, capsize=2, label="Pareto front (95 % CIs)")
        rec = result.recommended
        if rec is not None:
            t = next(t for t in trials if t.number == rec)
            ax.scatter([100 * t.user_attrs["metrics"][x.text][0]],
                       [100 * t.user_attrs["metrics"][y.text][0]], marker="*", s=220,
                       color="tab:red", zorder=5, label=f"recommended (trial {rec})")
    for label, v in result.presets.items():
        marker, words = PRESET_MARKERS.get(label, ("P", label))
        ax.errorbar([100 * v[x.text][0]], [100 * v[y.text][0]],
                    xerr=[[100 * abs(v[x.text][0] - v[x.text][1])],
                          [100 * abs(v[x.text][2] - v[x.text][0])]],
                    yerr=[[100 * abs(v[y.text][0] - v[y.text][1])],
                          [100 * abs(v[y.text][2] - v[y.text][0])]],
                    fmt=marker, color="black", ms=7, capsize=2, label=words, zorder=4)
    for m, conditions in spec.constraints:  # the bounds of a constrained axis, dashed
        for op, bound in conditions:
            if m.text == x.text:
                ax.axvline(100 * bound, color="0.4", ls="--", lw=0.8,
                           label=f"constraint: {x.text} {op} {bound:g}")
            elif m.text == y.text:
                ax.axhline(100 * bound, color="0.4", ls="--", lw=0.8,
                           label=f"constraint: {y.text} {op} {bound:g}")
    ax.set_xlabel(f"{x.words()} ({x.units})")
    ax.set_ylabel(f"{y.words()}")
    _percent_axis(ax.xaxis)
    _percent_axis(ax.yaxis)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.suptitle(f"Hedge designs searched: {x.words()} against {y.words()}\n"
                 f"{result.plan.name}: strategy {spec.strategy}, "
                 f"{len(spec.dims)} searched field(s)", fontsize=11, x=0.01, y=0.985,
                 ha="left", va="top")
    fig.text(0.01, 0.01, footnote(result), fontsize=7, color="0.4", ha="left", va="bottom",
             wrap=True)
    fig.subplots_adjust(left=0.10, right=0.98, top=0.86, bottom=0.17)
    return fig


def importances(result: OptimizeResult) -> dict[str, dict[str, float]]:
    """Optuna's PED-ANOVA importances of the parameters for each objective (Watanabe, Bansal
    and Hutter 2023, IJCAI: how much each parameter's distribution among the best 10 % of
    trials differs from all trials; needs no scikit-learn), {} with too few trials."""
    import optuna

    out = {}
    if len(complete_trials(result.study)) < 4:
        return out
    for i, (m, direction) in enumerate(result.spec.objectives):
        sign = 1.0 if direction == "minimize" else -1.0  # PED-ANOVA looks for low targets
        try:
            with warnings.catch_warnings():  # its note that it minimises the target
                warnings.simplefilter("ignore")
                out[m.text] = optuna.importance.get_param_importances(
                    result.study, target=lambda t, i=i, sign=sign: sign * t.values[i],
                    evaluator=optuna.importance.PedAnovaImportanceEvaluator())
        except (RuntimeError, ValueError):  # too few distinct trials
            out[m.text] = {}
    return out


def recommended_document(result: OptimizeResult) -> dict | None:
    """The recommended hedge as a preset file's mapping."""
    if result.recommended is None:
        return None
    spec = result.spec
    trial = next(t for t in result.study.get_trials(deepcopy=False)
                 if t.number == result.recommended)
    strategy = design(spec.base, trial.params, spec.dims)
    hedge = base_document(strategy)["hedge"]
    where = ", ".join(f"{m.text} {_fmt(m, trial.user_attrs['metrics'][m.text])}"
                      for m in spec.metrics)
    return {"description": f"alvh optimize {Path(result.plan.source).name}: trial "
                           f"{result.recommended} of {result.plan.name} (seed "
                           f"{result.plan.seed}, {result.plan.n_paths} paths); in sample "
                           f"{where}",
            "hedge": hedge}


def cube(result: OptimizeResult):
    """The trials, presets and out-of-sample figures as one xarray Dataset."""
    import xarray as xr

    from simulator._version import __version__

    spec = result.spec
    trials = result.study.get_trials(deepcopy=False)
    mtexts = [m.text for m in spec.metrics]
    params = sorted({k for t in trials for k in t.params})
    nt = len(trials)
    values = np.full((nt, len(mtexts), 3), np.nan)
    pvals = np.full((nt, len(params)), np.nan)
    for i, t in enumerate(trials):
        ms = t.user_attrs.get("metrics", {})
        for j, m in enumerate(mtexts):
            if m in ms:
                values[i, j] = ms[m]
        for j, p in enumerate(params):
            v = t.params.get(p)
            if v is None:
                continue
            dim = next((d for d in spec.dims if d.key == p), None)
            pvals[i, j] = dim.choices.index(v) if dim is not None and \
                dim.kind == "categorical" else float(v)
    complete = complete_trials(result.study)
    front = np.zeros(nt, bool)
    mask = front_mask(result, complete)
    numbers = [t.number for t in trials]
    for t, f in zip(complete, mask, strict=True):
        front[numbers.index(t.number)] = f
    ds = xr.Dataset(
        {"value": (("trial", "metric", "bound"), values,
                   {"long_name": "metric of the trial's design on all paths (pruned trials: "
                                 "on the first rung's paths), with its 95 % CI",
                    "units": "1", "description": "; ".join(f"{m.text}: {m.units}"
                                                           for m in spec.metrics)}),
         "param": (("trial", "parameter"), pvals,
                   {"long_name": "parameter value (categorical: index into its choices; "
                                 "hedge.split.*: the layer's share before normalising)"}),
         "state": ("trial", [t.state.name for t in trials]),
         "feasible": ("trial", np.array([feasible(t) for t in trials], bool)),
         "pareto": ("trial", front, {"long_name": "on the feasible front of the figure's "
                                                  "two metrics"}),
         "rung_paths": ("trial", np.array([t.user_attrs.get("rung_paths", 0) for t in trials]),
                        {"long_name": "paths of the pruning rung (0: none)"})},
        coords={"trial": numbers, "metric": mtexts, "bound": ["estimate", "ci_low", "ci_high"],
                "parameter": params})
    if result.presets:
        labels = list(result.presets)
        ds["preset_value"] = (("preset", "metric", "bound"),
                              np.array([[result.presets[p][m] for m in mtexts]
                                        for p in labels]))
        ds = ds.assign_coords(preset=labels)
    keys = [*result.candidates, *result.presets]
    if result.oos:
        names = [str(k) if isinstance(k, str) else f"trial_{k}" for k in keys]
        ds["oos_value"] = (("candidate", "metric", "bound"),
                           np.array([[result.oos[k][m] for m in mtexts] for k in keys]),
                           {"long_name": "on fresh seeds (mean over seeds, 95 % CI)"})
        ds = ds.assign_coords(candidate=names)
        by_number = {t.number: t for t in trials}
        ins = {k: by_number[k].user_attrs["metrics"] if isinstance(k, int)
               else result.presets[k] for k in keys}
        ds["gap"] = (("candidate", "objective", "bound"),
                     np.array([[gap(ins[k][m.text], result.oos[k][m.text], d)
                                for m, d in spec.objectives] for k in keys]),
                     {"long_name": "winner's-curse gap: in sample better than on fresh seeds "
                                   "by this much (> 0: flattered), 95 % CI"})
        ds = ds.assign_coords(objective=[m.text for m, _ in spec.objectives])
    if result.history:
        names = [str(k) if isinstance(k, str) else f"trial_{k}" for k in keys]
        hm = list(next(iter(result.history.values())))
        ds["history_value"] = (("candidate", "history_metric", "bound"),
                               np.array([[result.history[k][m] for m in hm] for k in keys]),
                               {"long_name": "on every real rolling window (block-bootstrap "
                                             "95 % CI)", "windows": result.history_info})
        ds = ds.assign_coords(candidate=names, history_metric=hm)
    plan = result.plan
    ds.attrs = {"Conventions": "CF-1.10", "title": f"alvh optimize: {plan.name}",
                "package": "alvh-simulator", "package_version": __version__,
                "scenario_file": str(plan.source), "scenario_text": plan.text,
                "seed": str(plan.seed), "paths": int(plan.n_paths), "days": int(plan.n_days),
                "strategy": spec.strategy, "sampler": spec.config.sampler,
                "rungs": json.dumps(list(result.rungs)),
                "objectives": json.dumps([[m.text, d] for m, d in spec.objectives]),
                "constraints": json.dumps({m.text: list(c) for m, c in spec.constraints}),
                "recommended_trial": -1 if result.recommended is None
                else int(result.recommended),
                "fresh_seeds": json.dumps([str(s) for s in result.fresh_seeds])}
    return ds


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _params_words(spec, params: dict) -> str:
    parts = []
    for dim in spec.dims:
        if dim.kind == "simplex":
            shares = [params[f"{dim.key}.{layer}"] for layer in dim.layers]
            total = sum(shares) or 1.0
            parts.append("split " + "/".join(f"{100 * s / total:.0f}" for s in shares)
                         + f" ({'/'.join(dim.layers)})")
        else:
            v = params[dim.key]
            parts.append(f"{dim.key.removeprefix('hedge.')} "
                         + (f"{v:.4g}" if isinstance(v, float) else f"{v}"))
    return ", ".join(parts)


def markdown(result: OptimizeResult, figure_name: str, preset_name: str | None) -> str:
    spec, plan = result.spec, result.plan
    trials = result.study.get_trials(deepcopy=False)
    complete = complete_trials(result.study)
    by_number = {t.number: t for t in trials}
    states = {}
    for t in trials:
        states[t.state.name] = states.get(t.state.name, 0) + 1
    lines = [f"# alvh optimize: {plan.name}", ""]
    objs = "; ".join(f"{d} {m.text} ({m.units})" for m, d in spec.objectives)
    cons = "; ".join(f"{m.text} {', '.join(f'{o} {b:g}' for o, b in c)}"
                     for m, c in spec.constraints) or "none"
    lines += [f"Searched: the hedge of strategy `{spec.strategy}` over "
              + ", ".join(f"`{d.key}` ({d.describe()})" for d in spec.dims) + ".",
              f"Objective: {objs}. Constraints: {cons}.",
              f"Trials: {len(trials)} ({', '.join(f'{n} {k.lower()}' for k, n in states.items())})"
              f", sampler {spec.config.sampler.upper()} (Optuna, seed {plan.seed}), every "
              f"trial on the same {plan.n_paths:,} paths x {plan.n_days} days per scenario "
              f"(common random numbers)"
              + (f", pruned by successive halving at {result.rungs[0]:,} paths"
                 if len(result.rungs) > 1 else "") + ".",
              f"Run time {result.seconds:.0f} s, of which evaluating trials "
              f"{result.eval_seconds:.0f} s for {result.path_days / 1e6:.1f} M path-days x "
              f"strategies.", ""]
    lines += [f"![front]({figure_name})", "", f"*{footnote(result)}*", ""]
    # the front
    x, _y = _axes_metrics(spec)
    mask = front_mask(result, complete)
    front = sorted([t for t, f in zip(complete, mask, strict=True) if f],
                   key=lambda t: t.user_attrs["metrics"][x.text][0])
    lines += ["## Pareto front (in sample, 95 % CIs)", ""]
    head = ["trial", "design", *[m.text for m in spec.metrics]]
    rows = [[str(t.number), _params_words(spec, t.params),
             *[_fmt(m, t.user_attrs["metrics"][m.text]) for m in spec.metrics]]
            for t in front]
    rows += [[f"**{PRESET_MARKERS.get(k, (None, k))[1]}**", "shipped preset",
              *[_fmt(m, v[m.text]) for m in spec.metrics]] for k, v in result.presets.items()]
    lines += [_table(head, rows) if rows else "No complete feasible trial.", ""]
    # importances
    lines += ["## Parameter importances (PED-ANOVA, Optuna)", ""]
    imp = importances(result)
    if not imp:
        lines += ["Too few complete trials to estimate them.", ""]
    for metric, table in imp.items():
        shown = ", ".join(f"`{k}` {v:.2f}" for k, v in table.items() if np.isfinite(v))
        lines += [f"- {metric}: {shown or 'not computed (too few distinct trials)'}"]
    lines += [""]
    # out of sample
    lines += ["## Out of sample", ""]
    if result.oos:
        lines += [f"The {len(result.candidates)} best designs in sample and the presets on "
                  f"{len(result.fresh_seeds)} fresh seed(s) (new paths, the same for all; "
                  "mean over seeds, 95 % CI). Winner's-curse gap: how much better the design "
                  "looked in sample than on the fresh seeds (> 0: the search flattered it; "
                  "in the metric's units).", ""]
        head = ["design", *[f"{m.text} fresh" for m, _ in spec.objectives],
                *[f"gap {m.text}" for m, _ in spec.objectives],
                *[f"{m.text} fresh" for m, _ in spec.constraints]]
        rows = []
        for k in [*result.candidates, *result.presets]:
            ins = (by_number[k].user_attrs["metrics"] if isinstance(k, int)
                   else result.presets[k])
            name = f"trial {k}" + (" (recommended)" if k == result.recommended else "") \
                if isinstance(k, int) else PRESET_MARKERS.get(k, (None, k))[1]
            rows.append([name, *[_fmt(m, result.oos[k][m.text]) for m, _ in spec.objectives],
                         *[_fmt(m, gap(ins[m.text], result.oos[k][m.text], d))
                           for m, d in spec.objectives],
                         *[_fmt(m, result.oos[k][m.text]) for m, _ in spec.constraints]])
        lines += [_table(head, rows), ""]
    else:
        lines += ["No fresh-seed check (optimize.validate.seeds: 0).", ""]
    if result.history:
        hm = [M.parse_metric(k) for k in next(iter(result.history.values()))]
        lines += [f"On every real rolling window: {result.history_info}. 95 % CIs resample "
                  "moving blocks of overlapping windows.", ""]
        rows = []
        for k in [*result.candidates, *result.presets]:
            name = f"trial {k}" if isinstance(k, int) else PRESET_MARKERS.get(k, (None, k))[1]
            rows.append([name, *[_fmt(m, result.history[k][m.text]) for m in hm]])
        lines += [_table(["design", *[m.text for m in hm]], rows), ""]
    # recommendation
    lines += ["## Recommendation", ""]
    if result.recommended is None:
        lines += ["No complete trial: nothing to recommend.", ""]
    else:
        t = by_number[result.recommended]
        ok = feasible(t)
        lines += [f"Trial {t.number}: {_params_words(spec, t.params)}."
                  + ("" if ok else " No trial met the constraints in sample; this is the "
                                   "design closest to them."),
                  "It is the candidate best out of sample (fresh seeds; the real windows as "
                  "a check), not necessarily the in-sample winner.", ""]
        if preset_name:
            lines += [f"As a hedge preset: `{preset_name}`; in a scenario file beside it:",
                      "", "```yaml", f"hedge: {{preset: {preset_name}}}", "```", ""]
    lines += ["Units: " + "; ".join(f"`{n}` {u}" for n, u in M.UNITS.items()) + ".", ""]
    return "\n".join(lines)


def write_outputs(result: OptimizeResult, out_dir, *, dpi: int = 130) -> list[Path]:
    """Write the cube, report, figure and preset (module doc); returns their paths."""
    import yaml

    from simulator.report.figures import _plt
    from simulator.results.cube import write_cube

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    write_cube(cube(result), out / "optimize.nc")
    written.append(out / "optimize.nc")
    fig = front_figure(result)
    with atomic_path(out / "front.png") as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    _plt().close(fig)
    written.append(out / "front.png")
    doc = recommended_document(result)
    preset = None
    if doc is not None:
        preset = "recommended_hedge.yaml"
        with atomic_path(out / preset) as tmp:
            Path(tmp).write_text(yaml.safe_dump(doc, sort_keys=False, width=100))
        written.append(out / preset)
    with atomic_path(out / "optimize.md") as tmp:
        Path(tmp).write_text(markdown(result, "front.png", preset))
    written.append(out / "optimize.md")
    return written
