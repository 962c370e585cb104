"""``alvh validate`` and ``alvh schema``: scenario files checked without running them, and
their JSON Schema."""

from __future__ import annotations

import sys

from simulator.cli.options import EXIT_INVALID_INPUT, EXIT_OK, command


def add(sub) -> None:
    val = command(
        sub, "validate", execute, help="check scenario files without running them",
        description="Validate scenario files: every problem of each file is listed with its "
                    "field path and the allowed values. Exit status 2 if any file is invalid.")
    val.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml")
    val.add_argument("--show", action="store_true",
                     help="print each valid file fully expanded (presets, sweeps, models)")
    command(sub, "schema", execute_schema,
            help="print the JSON Schema of scenario files (for editors)")


def execute(args) -> int:
    from simulator.scenario import ScenarioError, load_scenario

    status = EXIT_OK
    for path in args.scenarios:
        try:
            plan = load_scenario(path)
        except ScenarioError as err:
            print(err, file=sys.stderr)
            status = EXIT_INVALID_INPUT
            continue
        if plan.optimize is not None:  # the search's fields need the resolved plan
            from simulator.optimize.spec import check

            try:
                check(plan)
            except ScenarioError as err:
                print(err, file=sys.stderr)
                status = EXIT_INVALID_INPUT
                continue
        for warning in plan.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{path}: ok ({plan.name}: {len(plan.scenarios)} scenario(s) x "
              f"{len(plan.strategies)} strateg{'y' if len(plan.strategies) == 1 else 'ies'}, "
              + (f"{plan.n_paths:,} paths x {plan.n_days} days)" if plan.history is None
                 else f"{plan.describe_paths()})"))
        if args.show:
            import yaml

            from simulator.scenario.plan import expanded

            print(yaml.safe_dump(expanded(plan), sort_keys=False, width=100))
    return status


def execute_schema(args) -> int:
    import json

    from simulator.scenario.schema import json_schema

    print(json.dumps(json_schema(), indent=1))
    return EXIT_OK
