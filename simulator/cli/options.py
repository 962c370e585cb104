"""What the commands share: exit codes, option types, the -v/-q options and the options of
every command that runs a scenario file. Standard library only (``alvh --help`` is instant)."""

from __future__ import annotations

import argparse

EXIT_OK = 0
EXIT_INVALID_INPUT = 2
EXIT_INTERRUPTED = 130


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**64), got {value}")
    return value


def log_options(default) -> argparse.ArgumentParser:
    """-v/-q, accepted before or after the command (``alvh -q run x.yaml``, ``alvh run x.yaml
    -q``); the command's copy has no default so that it never undoes the top-level one."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("-v", "--verbose", action="store_true", default=default,
                         help="also log details (timings, chunk by chunk)")
    options.add_argument("-q", "--quiet", action="store_true", default=default,
                         help="no progress bar and no notices, only warnings and errors")
    return options


_COMMAND_LOG_OPTIONS = log_options(argparse.SUPPRESS)


def command(sub, name: str, execute, **kwargs) -> argparse.ArgumentParser:
    """Subcommand ``name``, run by ``execute(args) -> exit status``; each takes -v/-q too."""
    parser = sub.add_parser(name, parents=[_COMMAND_LOG_OPTIONS], **kwargs)
    parser.set_defaults(func=execute)
    return parser


def scenario_run_options(cmd, paths_default: str, checkpoints_at: str) -> None:
    """Options every command that runs a scenario file shares."""
    cmd.add_argument("--paths", type=positive_int, default=None,
                     help=f"paths per scenario (default: {paths_default})")
    cmd.add_argument("--seed", type=seed, default=None,
                     help="random seed (default: the file's simulation.seed)")
    cmd.add_argument("--resume", action="store_true",
                     help="continue an interrupted run from its checkpoints")
    cmd.add_argument("--overwrite", action="store_true",
                     help=f"replace finished results {checkpoints_at} and discard the "
                          "checkpoints of an interrupted run there (without it both are "
                          "refused)")
    cmd.add_argument("--max-memory", default=None, metavar="SIZE",
                     help="refuse a run whose estimated peak memory is larger, e.g. 2G "
                          "(default: 80 %% of this machine's memory)")


def summary_options(cmd) -> None:
    cmd.add_argument("--format", default="text", choices=("text", "csv", "json", "markdown"),
                     help="summary as text tables (default), CSV or JSON (every column, "
                          "fractions), or Markdown tables")
    cmd.add_argument("--wide", action="store_true",
                     help="text summary with every column and two decimals")


def close_cluster(client, cluster) -> None:
    for thing in (client, cluster):
        if thing is not None:
            thing.close()

