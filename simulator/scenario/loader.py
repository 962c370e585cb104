"""Loading a scenario file: read, validate every section, resolve models, stress schedules and
strategies (sweeps applied), and return a :class:`~simulator.scenario.plan.RunPlan`.

Every problem of a file is reported at once, each as ``field.path: message`` (with the value and
the allowed range), before any work starts: a section that fails does not hide the problems of
the others.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import TypeAdapter, ValidationError

from simulator.common import safe_yaml
from simulator.common.conventions import BASELINE
from simulator.common.records import short_repr
from simulator.data import resolve_scenario
from simulator.results.events import VolEventConfig
from simulator.scenario.errors import ScenarioError, dedupe, pydantic_problems
from simulator.scenario.pairing import pair_baselines
from simulator.scenario.plan import RunPlan, ScenarioPlan, market_digests, scenario_stream
from simulator.scenario.schema import (
    MAX_SCENARIOS,
    MAX_STRATEGIES,
    NAME_PATTERN,
    REQUIRED,
    SECTIONS,
    ModelSpec,
    PathConfig,
    ScenarioVariant,
)
from simulator.scenario.sweep import coordinates, expand_sweep
from simulator.strategy.config import DEFAULT_COSTS, CostsConfig, StrategyConfig

Problems = list[tuple[str, str]]
_NAME_RULE = "start with a letter and use letters, digits, '_' or '-', at most 100 characters"


def load_scenario(path: str | Path, *, n_paths: int | None = None,
                  seed: int | None = None) -> RunPlan:
    """Read and validate a scenario file; raise :class:`ScenarioError` listing every problem.

    ``n_paths`` and ``seed`` override ``simulation.paths`` and ``simulation.seed``. A path that
    does not exist but names a shipped scenario (``quickstart``, ``scenarios/quickstart.yaml``)
    loads the shipped file, so the README's commands work from any folder.
    """
    path = resolve_scenario(path)
    source = str(path)
    try:
        text = safe_yaml.read_text(path)  # at most the size limit + 1 byte is read
    except FileNotFoundError:
        raise ScenarioError(source, [("", "no such file")]) from None
    except safe_yaml.YamlLimitError as err:
        raise ScenarioError(source, [("", str(err))]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(source, [("", f"cannot read: {err}")]) from None
    return parse_scenario(text, source=source, base_dir=path.parent, n_paths=n_paths, seed=seed)


def parse_scenario(text: str, *, source: str = "<string>", base_dir: Path | None = None,
                   n_paths: int | None = None, seed: int | None = None,
                   trusted_models: tuple[str | Path, ...] = ()) -> RunPlan:
    """Like :func:`load_scenario` for a YAML document given as text. Model files it names
    must lie in ``base_dir`` (:func:`model_file`) or be one of ``trusted_models`` (files the
    user named on the command line)."""
    doc = _read_document(text, source)
    problems: Problems = []
    doc = _hedge_files(doc, base_dir, problems)
    values = _validate_sections(doc, n_paths, seed, problems)
    _path_source(values, doc, n_paths, problems)
    trusted = tuple(Path(p).resolve() for p in trusted_models)
    plans = _scenario_plans(values, doc, base_dir, problems, trusted)
    plans = _history_plans(values, plans, problems)
    strategies, sweep_coords, paired = _strategies(values, doc, problems)
    if problems:
        order = {k: i for i, k in enumerate(SECTIONS)}
        problems.sort(key=lambda p: order.get(p[0].split(".")[0].split(" ")[0], len(order)))
        raise ScenarioError(source, dedupe(problems))
    return RunPlan(source=source, text=text, name=values["name"],
                   description=values.get("description", ""),
                   simulation=values["simulation"], scenarios=tuple(plans),
                   strategies=strategies,
                   costs=values.get("costs", CostsConfig.named(DEFAULT_COSTS)),
                   sweep_coords=sweep_coords, paired_with=paired,
                   vol_events=values.get("vol_events", VolEventConfig()),
                   path=values.get("path", PathConfig()),
                   optimize=values.get("optimize"), base_dir=base_dir,
                   market_data=market_digests() if plans and plans[0].history is not None
                   else {})


def load_scenario_with_model(path: str | Path, model: str, *, n_paths: int | None = None,
                             seed: int | None = None) -> RunPlan:
    """:func:`load_scenario` with the file's model preset replaced by ``model`` (a preset
    name or a model file; :func:`with_model_preset`), e.g. ``alvh claims --model``."""
    from simulator.model.presets import preset_names

    source = resolve_scenario(path)
    # a model file typed on the command line is the user's own choice (a scenario file
    # may name only files in its own folder)
    ref = model if model in preset_names() else str(Path(model).resolve())
    return parse_scenario(with_model_preset(source, ref), source=str(source),
                          base_dir=source.parent, n_paths=n_paths, seed=seed,
                          trusted_models=(ref,) if ref != model else ())


def with_model_preset(source: str | Path, preset: str) -> str:
    """The scenario file's text with its top-level model preset replaced (overrides kept;
    scenarios on their own preset keep it; m0 overrides go for a one-factor preset)."""
    try:
        doc = safe_yaml.load(safe_yaml.read_text(source))
    except (OSError, UnicodeDecodeError, safe_yaml.YamlLimitError) as err:
        raise ScenarioError(str(source), [("", f"cannot read: {err}")]) from None
    from simulator.model.presets import load_model

    spec = doc.get("model") if isinstance(doc, dict) else None
    doc["model"] = dict(spec if isinstance(spec, dict) else {}, preset=preset)
    try:
        one_factor = not load_model(preset).two_factor
    except (FileNotFoundError, ValueError):  # the loader names the field and the presets
        one_factor = False
    if one_factor:  # a one-factor model has no m0 (its m is theta)
        for variant in (doc.get("scenarios") or {}).values():
            model = variant.get("model") if isinstance(variant, dict) else None
            if isinstance(model, dict) and "preset" not in model:
                model.pop("m0", None)
    return yaml.safe_dump(doc, sort_keys=False)


HEDGE_FILE_SUFFIXES = (".yaml", ".yml")


def _hedge_files(doc: dict, base_dir: Path | None, problems: Problems) -> dict:
    """``hedge: {preset: my_hedge.yaml}``: a hedge preset from a file beside the scenario file
    (``alvh optimize`` writes its recommended design as one), the other keys beside it merged
    over it as over a shipped preset. The file is a mapping with a ``hedge`` section (and an
    optional ``description``), validated like a strategy's hedge."""
    from simulator.common.records import deep_merge
    from simulator.strategy.config import HedgeConfig

    strategies = doc.get("strategies")
    if not isinstance(strategies, dict):
        return doc
    out = dict(strategies)
    for name, strat in strategies.items():
        hedge = strat.get("hedge") if isinstance(strat, dict) else None
        ref = hedge.get("preset") if isinstance(hedge, dict) else hedge
        if not isinstance(ref, str) or not ref.endswith(HEDGE_FILE_SUFFIXES):
            continue
        loc = f"strategies.{name}.hedge.preset"
        # confined like model files (issue 34, item 2): a file in the scenario's own folder,
        # read within the YAML size limit, and an error never quotes its content
        folder = (base_dir if base_dir is not None else Path.cwd()).resolve()
        path = (folder / ref).resolve()
        if Path(ref).is_absolute() or not path.is_relative_to(folder):
            problems.append((loc, f"{ref}: a hedge preset file must be a .yaml file in the "
                                  f"scenario file's folder ({folder}), named relative to it"))
            continue
        try:
            preset = safe_yaml.load(safe_yaml.read_text(path))
        except (OSError, UnicodeDecodeError) as err:
            problems.append((loc, f"{ref}: cannot read the hedge preset file "
                                  f"({getattr(err, 'strerror', None) or type(err).__name__})"))
            continue
        except safe_yaml.YamlLimitError as err:
            problems.append((loc, f"{ref}: {err}"))
            continue
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            problems.append((loc, f"{ref}: not valid YAML{where}"))
            continue
        if not isinstance(preset, dict) or not isinstance(preset.get("hedge"), dict) or \
                set(preset) - {"hedge", "description"}:
            problems.append((loc, f"{ref}: a hedge preset file is a mapping with a 'hedge' "
                                  "section (and an optional 'description')"))
            continue
        try:
            HedgeConfig.model_validate(preset["hedge"])
        except ValidationError as err:
            problems += pydantic_problems(err, f"{loc} ({ref}): hedge", HedgeConfig)
            continue
        rest = {k: v for k, v in hedge.items() if k != "preset"} if isinstance(hedge, dict) \
            else {}
        out[name] = {**strat, "hedge": deep_merge(preset["hedge"], rest)}
    return {**doc, "strategies": out}


def _read_document(text: str, source: str) -> dict:
    try:
        doc = safe_yaml.load(text)
    except safe_yaml.YamlLimitError as err:
        raise ScenarioError(source, [("", str(err))]) from None
    except yaml.YAMLError as err:
        raise ScenarioError(source, [("", f"not valid YAML: {' '.join(str(err).split())}")]) \
            from None
    if not isinstance(doc, dict):
        raise ScenarioError(source, [("", f"must be a mapping of sections "
                                          f"({', '.join(SECTIONS)}), got "
                                          f"{type(doc).__name__}")])
    return doc


def _validate_sections(doc: dict, n_paths, seed, problems: Problems) -> dict[str, Any]:
    """Each section against its record; the command line's paths and seed override the file's."""
    problems += [(str(key), f"unknown section; allowed: {', '.join(SECTIONS)}")
                 for key in doc if key not in SECTIONS]
    problems += [(key, "missing (required)") for key in REQUIRED if key not in doc]
    overrides = {k: v for k, v in (("paths", n_paths), ("seed", seed)) if v is not None}
    if overrides and isinstance(doc.get("simulation"), dict):
        doc = {**doc, "simulation": {**doc["simulation"], **overrides}}
    values: dict[str, Any] = {}
    for key, tp in SECTIONS.items():
        if key not in doc:
            continue
        raw = {} if key == "scenarios" and doc[key] is None else doc[key]
        try:
            values[key] = TypeAdapter(tp).validate_python(raw)
        except ValidationError as err:
            problems += pydantic_problems(err, key, tp)
    name = values.get("name")
    if name is not None and not re.match(NAME_PATTERN, name):
        problems.append(("name", f"{short_repr(name)} must {_NAME_RULE} (it names the output "
                                 "file)"))
    return values


def _path_source(values: dict, doc: dict, n_paths, problems: Problems) -> None:
    """A model source needs ``simulation.paths``; a history source sets paths and days itself
    (one path per window), so the file (or ``--paths``) must not give them."""
    if "path" in doc and "path" not in values:
        return  # the path section itself is wrong: reported already
    source = values.get("path", PathConfig()).source
    sim = values.get("simulation")
    raw = doc.get("simulation") if isinstance(doc.get("simulation"), dict) else {}
    if source == "model":
        if sim is not None and sim.paths is None:
            problems.append(("simulation.paths", "missing (required): Monte Carlo paths per "
                                                 "scenario, 1 .. 10,000,000"))
        return
    if n_paths is not None:
        problems.append(("simulation.paths", f"--paths {n_paths}: a history run has one path "
                                             f"per window (path.source: {source})"))
    for key, what in (("paths", "one path per window"), ("days", "the window's trading days")):
        if key in raw:
            problems.append((f"simulation.{key}", f"leave it out: path.source {source} sets it "
                                                  f"({what})"))


def _history_plans(values: dict, plans: list[ScenarioPlan],
                   problems: Problems) -> list[ScenarioPlan]:
    """With a history source: the windows (their dates from the shipped data) on every
    scenario, and ``simulation.paths``/``days`` set from them. Shocks and regimes belong to
    simulated paths only."""
    import dataclasses

    from simulator.calibration.states import curve_history
    from simulator.market.history import restricted, rolling_windows, single_window

    cfg = values.get("path", PathConfig())
    sim = values.get("simulation")
    if cfg.source == "model" or not plans or sim is None:
        return plans
    for sc in plans:
        for key in ("shocks", "regimes"):
            if getattr(sc, key):
                problems.append((f"scenarios.{sc.name}.{key}", f"not with path.source "
                                 f"{cfg.source}: real history has its own moves"))
    start, end = cfg.start.isoformat(), cfg.end.isoformat()
    from simulator.market.sessions import check_session

    closed = False
    for key, value in (("start", start), ("end", end)):
        try:  # a window runs from a session to a session (the exchange's calendar, issue 29)
            check_session(value, f"path.{key}")
        except ValueError as err:
            problems.append((f"path.{key}", str(err).removeprefix(f"path.{key} ")))
            closed = True
    if closed:
        return plans
    try:
        # each scenario's states under its own model; the days every scenario has
        real = [curve_history(sc.model, start, end, "path") for sc in plans]
        dates = real[0].dates
        for path in real[1:]:
            dates = np.intersect1d(dates, path.dates)
        if cfg.source == "history":
            windows = single_window(dates)
        else:
            windows = rolling_windows(dates, cfg.length_days, cfg.step_days or 21)
    except FileNotFoundError as err:
        problems.append(("path", f"market data missing: {err}"))
        return plans
    except ValueError as err:
        text = str(err)
        field = next((f for f in ("path.length_days", "path.end") if text.startswith(f)),
                     "path.start")
        problems.append((field, text.removeprefix(f"{field} ")))
        return plans
    if cfg.futures == "listed":
        _check_listed_futures(dates, problems)
    update = {"paths": windows.n_paths, "days": windows.n_days}
    if cfg.source == "history":
        # one real window: its blotter and its path go into the cube, so a report reads the
        # replay from the cube and never runs it again (issue 29)
        update |= {"trade_log_paths": max(sim.trade_log_paths, 1),
                   "keep_paths": max(sim.keep_paths, 1)}
    values["simulation"] = sim.model_copy(update=update)
    return [dataclasses.replace(sc, history=windows, real_path=restricted(path, dates))
            for sc, path in zip(plans, real, strict=True)]


def _check_listed_futures(dates: np.ndarray, problems: Problems) -> None:
    """``path.futures: listed``: every day of the span must have the rules' 30- and 60-day
    futures from listed contracts (no model stand-in); the first day without is named."""
    from simulator.common.conventions import FRONT_FUTURE_DTE, SECOND_FUTURE_DTE
    from simulator.market.calendar import expiry_schedule

    cm = expiry_schedule(np.asarray(dates, dtype=str)[None], [], []).listed_cm
    for row, dte in ((0, FRONT_FUTURE_DTE), (1, SECOND_FUTURE_DTE)):
        missing = np.flatnonzero(np.isnan(cm[row]))
        if missing.size:
            problems.append(("path.futures", f"listed: the data lists no contracts for the "
                             f"rules' {dte}-day VIX future on {dates[missing[0]]} ({missing.size} "
                             f"of {len(dates)} days of the window); the listed VX data starts "
                             "in December 2007 and misses some months. Use futures: "
                             "listed_or_model (the model's future on those days, counted) or "
                             "another window"))
            return


def _scenario_plans(values: dict, doc: dict, base_dir: Path | None,
                    problems: Problems, trusted: tuple[Path, ...] = ()) -> list[ScenarioPlan]:
    """Models (preset, then file overrides, then each scenario's) with their stress schedules."""
    base_model = None
    if "model" in values or "model" not in doc:
        base_model = _base_model(values.get("model", ModelSpec()), base_dir, problems, trusted)
    variants = values.get("scenarios") or {}
    if "scenarios" in values and not variants:
        problems.append(("scenarios", "at least one scenario is needed (or leave the section "
                                      "out for a single 'base' scenario)"))
    if not variants and "scenarios" not in doc:
        variants = {"base": ScenarioVariant()}
    if len(variants) > MAX_SCENARIOS:
        problems.append(("scenarios", f"{len(variants)} scenarios; at most {MAX_SCENARIOS}"))
    sim = values.get("simulation")
    plans = []
    for name, variant in variants.items():
        loc = f"scenarios.{name}"
        if not re.match(NAME_PATTERN, name):
            problems.append((loc, f"scenario names {_NAME_RULE}"))
        if base_model is None:
            continue
        plan = _scenario_plan(name, variant or ScenarioVariant(), base_model,
                              sim.days if sim is not None else None, loc, problems, base_dir,
                              trusted)
        if plan is not None:
            plans.append(plan)
    return plans


def _strategies(values: dict, doc: dict, problems: Problems):
    """The strategies with sweeps expanded, the baseline added when it is implied and each
    hedged strategy paired with a baseline of the same book (:mod:`.pairing`)."""
    strategies = dict(values.get("strategies") or {})
    if "strategies" in values and not strategies:
        problems.append(("strategies", "at least one strategy is needed"))
    problems += [(f"strategies.{name}", f"strategy names {_NAME_RULE}")
                 for name in strategies if not re.match(NAME_PATTERN, name)]
    sweep_coords: dict[str, list] = {}
    hints: dict = {}
    if "sweep" in values and isinstance(doc.get("strategies"), dict):
        # keys are checked even when a strategy is invalid (all problems at once)
        strategies, sweep_coords, hints = expand_sweep(values["sweep"], doc["strategies"],
                                                       strategies, problems)
    with_condor = [s for s in strategies.values() if s.condor is not None]
    # index baselines alone (sp500, vxth_like) are paired among themselves: no condor needed
    if with_condor and BASELINE not in strategies:
        condors = {json.dumps(s.condor.model_dump(), sort_keys=True) if s.condor else None
                   for s in strategies.values()}
        if len(condors) == 1 and None not in condors:
            first = next(iter(strategies.values()))
            strategies = {BASELINE: StrategyConfig(condor=first.condor, costs=first.costs),
                          **strategies}
        else:
            problems.append(("strategies", f"add a strategy named {BASELINE!r} (the condor "
                                           "without a hedge): results are paired against it, "
                                           "and the strategies use different condors"))
    _entry_days(strategies, values.get("simulation"), problems)
    paired: dict = {}
    if strategies:
        labels = list(strategies)
        strategies, paired, added = pair_baselines(
            strategies, values.get("costs", CostsConfig.named(DEFAULT_COSTS)), hints)
        if added and sweep_coords:
            by_label = {label: {c: v[i] for c, v in sweep_coords.items()}
                        for i, label in enumerate(labels)}
            sweep_coords = coordinates(list(sweep_coords), {**by_label, **added}, strategies)
    if len(strategies) > MAX_STRATEGIES:
        problems.append(("strategies", f"{len(strategies)} strategies after the sweep and the "
                                       f"baselines paired with them; at most {MAX_STRATEGIES}"))
    return strategies, sweep_coords, paired


def _entry_days(strategies: dict, sim, problems: Problems) -> None:
    """A condor whose first entry is not before the last day would never trade."""
    if sim is None:
        return
    for label, s in strategies.items():
        if s.condor is not None and s.condor.first_entry_day >= sim.days:
            problems.append((f"strategies.{label}.condor.first_entry_day",
                             f"{s.condor.first_entry_day} is not within the run: allowed 0 .. "
                             f"{sim.days - 1} (simulation.days is {sim.days}; entries are made "
                             "at a day's close before the last), else the condor never trades"))


_MODEL_KEYS = {"model", "r", "q", "spx0", "v0", "m0", "P", "Q"}  # a model document has one


def model_file(ref: str, base_dir: Path | None, trusted: tuple[Path, ...] = ()) -> Path:
    """The model file a scenario's ``model.preset`` may name: a ``.yaml`` file inside the
    scenario file's own folder (``base_dir``; the working folder for a document without a
    file), named relative to it. A scenario file may come from someone else, so it must not
    make the simulator read any file the user can read (``/etc/shadow``, ``../../key.yaml``,
    a link out of the folder: issue 34, item 2). ``trusted``: files the user named on the
    command line (``alvh claims --model FILE``). Raises ``ValueError`` with the rule."""
    folder = (base_dir if base_dir is not None else Path.cwd()).resolve()
    given = Path(ref)
    rule = (f"a model file must be a .yaml file in the scenario file's folder ({folder}), "
            "named relative to it")
    if given.is_absolute() and given.resolve() in trusted:
        path = given.resolve()
    else:
        if given.is_absolute() or given.suffix != ".yaml":
            raise ValueError(rule)
        path = (folder / given).resolve()  # links resolved: one out of the folder is refused
        if not path.is_relative_to(folder):
            raise ValueError(rule)
    if not path.is_file():
        raise FileNotFoundError(ref)
    return path


def _model_document_problem(path: Path) -> str | None:
    """Why ``path`` is not a model document, in words that never quote the file: errors
    about a file that is not a model (a secret that happens to end in .yaml) must not echo
    its content."""
    try:
        doc = safe_yaml.load(safe_yaml.read_text(path))
    except safe_yaml.YamlLimitError as err:
        return str(err)
    except UnicodeDecodeError:
        return "cannot read as UTF-8 text"
    except OSError as err:
        return f"cannot read ({err.strerror or type(err).__name__})"
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return f"not valid YAML{where}"
    if not isinstance(doc, dict) or not _MODEL_KEYS & {str(k) for k in doc}:
        return ("not a model document (a preset document with a 'model' mapping, or the "
                "mapping of r, q, spx0, v0, P and Q)")
    return None


def _base_model(spec: ModelSpec, base_dir: Path | None, problems: Problems,
                trusted: tuple[Path, ...] = ()):
    from simulator.model.params import ParameterError
    from simulator.model.presets import load_model, preset_names

    ref = spec.preset
    if ref not in preset_names():
        try:
            path = model_file(ref, base_dir, trusted)
        except FileNotFoundError:
            problems.append(("model.preset", f"{short_repr(spec.preset)} is neither a preset "
                                             f"({', '.join(preset_names())}) nor a model file"))
            return None
        except ValueError as err:
            problems.append(("model.preset", f"{short_repr(spec.preset)} is neither a preset "
                                             f"({', '.join(preset_names())}) nor a model file "
                                             f"it may name: {err}"))
            return None
        why = _model_document_problem(path)
        if why is not None:
            problems.append(("model.preset", f"{short_repr(spec.preset)}: {why}"))
            return None
        ref = str(path)
    try:
        model = load_model(ref)
    except FileNotFoundError:
        problems.append(("model.preset", f"{short_repr(spec.preset)} is neither a preset "
                                         f"({', '.join(preset_names())}) nor a model file"))
        return None
    except ParameterError as err:
        problems += [(f"model.preset ({spec.preset}): {p}", m) for p, m in err.problems]
        return None
    try:
        model = _quiet_merge(model, spec.overrides) if spec.overrides else model
    except ParameterError as err:
        problems += [(f"model.overrides.{p}", m) for p, m in err.problems]
        return None
    return model


def _quiet_merge(model, overrides):
    """Merge overrides; the Feller warning is for interactive use, not for scenario files."""
    import warnings

    from simulator.model.params import FellerConditionWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FellerConditionWarning)
        return model.merged(overrides)


def _scenario_plan(name: str, variant: ScenarioVariant, base_model, n_days: int | None,
                   loc: str, problems: Problems, base_dir: Path | None = None,
                   trusted: tuple[Path, ...] = ()
                   ) -> ScenarioPlan | None:
    """One variant: its model (the file's, or its own ``preset``, then its overrides), its
    shocks and regimes (checked by the model layer's
    :func:`~simulator.model.stress.stress_problems`, field paths prefixed with ``loc``)."""
    import dataclasses

    from simulator.model.params import MeasureParams, ParameterError
    from simulator.model.stress import Regime, Shock, stress_problems

    model = base_model
    overrides = dict(variant.model)
    if "preset" in overrides:  # a scenario on another preset, e.g. a calibrated calm regime
        own: Problems = []
        model = _base_model(ModelSpec(preset=str(overrides.pop("preset"))), base_dir, own,
                            trusted)
        problems += [(f"{loc}.{p}", m) for p, m in own]
        if model is None:
            return None
    if overrides:
        try:
            model = _quiet_merge(model, overrides)
        except ParameterError as err:
            problems += [(f"{loc}.model.{p}", m) for p, m in err.problems]
            return None
    shocks, ok = [], True
    for i, sh in enumerate(variant.shocks):
        shock = Shock.from_config(sh)
        if shock.analogue is not None:
            from simulator.calibration.states import fitted_state

            try:
                shock = dataclasses.replace(shock, analogue_state=fitted_state(
                    model, shock.analogue))
            except ValueError as err:
                problems.append((f"{loc}.shocks.{i}.analogue", str(err)))
                ok = False
                continue
        shocks.append(shock)
    regimes = []
    for i, reg in enumerate(variant.regimes):
        bad = MeasureParams.problems({**model.P.to_dict(), **reg.P},
                                     prefix=f"{loc}.regimes.{i}.P.")
        if bad:
            problems += bad
            ok = False
            continue
        regimes.append(Regime(reg.start_day, reg.end_day, dataclasses.replace(model.P, **reg.P)))
    if n_days is not None:
        # regime indices are those of the file only when every regime was kept
        stress = stress_problems(model, n_days, shocks if ok else (), regimes if ok else ())
        problems += [(f"{loc}.{path}", msg) for path, msg in stress]
        ok = ok and not stress
    if not ok or n_days is None:
        return None
    return ScenarioPlan(name=name, description=variant.description or "", model=model,
                        shocks=tuple(shocks), regimes=tuple(regimes),
                        stream=scenario_stream(name))
