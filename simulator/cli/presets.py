"""``alvh presets``: the shipped models (with their sources), condors, hedges and costs."""

from __future__ import annotations

from simulator.cli.options import EXIT_OK, command


def add(sub) -> None:
    pre = command(sub, "presets", execute, help="list the shipped presets: models (with "
                                                "citations), condors, hedges, costs")
    pre.add_argument("kind", nargs="?", default="model",
                     choices=("model", "condor", "hedge", "costs"),
                     help="which presets (default: model)")


def execute(args) -> int:
    import textwrap

    from simulator.model.presets import load_model, preset_names

    if args.kind != "model":
        from simulator.strategy import presets

        table = {"condor": presets.CONDOR_PRESETS, "hedge": presets.HEDGE_PRESETS,
                 "costs": presets.COST_PRESETS}[args.kind]
        print(f"use in a scenario file as  {args.kind}: {{preset: NAME}}  (other keys beside "
              "it override it)")
        for name, settings in table.items():
            shown = ", ".join(f"{k} {v}" for k, v in settings.items() if k != "layers")
            if "layers" in settings:
                shown += "; layers " + ", ".join(
                    f"{layer} {spec.get('dte')} DTE"
                    + (" SPX put" if spec.get("instrument") == "spx_put" else "")
                    for layer, spec in settings["layers"].items())
            print(f"{name}\n    {textwrap.shorten(shown, 300, placeholder=' ...')}")
        return EXIT_OK
    for name in preset_names():
        model = load_model(name)
        cite = " ".join((model.citation or "").split())
        factors = "two factors" if model.two_factor else "one factor"
        print(f"{name} ({factors})\n    VIX0 {model.vix_index(model.v0, model.m0):.1f}, "
              f"VIX floor {model.vix_floor:.1f}\n"
              f"    {textwrap.shorten(cite, 300, placeholder=' ...')}")
    return EXIT_OK
