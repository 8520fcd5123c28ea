"""``python -m benchmarks SCENARIO [--scale N] [--repeat R] [--workdir DIR]`` or ``--list``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from benchmarks import SCENARIOS
from benchmarks.common import emit, note


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run one MedTrack Desktop benchmark; prints one JSON object on stdout.",
    )
    parser.add_argument("scenario", nargs="?", choices=sorted(SCENARIOS), metavar="SCENARIO",
                        help="one of: " + ", ".join(sorted(SCENARIOS)))
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--scale", type=_positive, metavar="N",
                        help="problem size (patients or rows; see --list for each default)")
    parser.add_argument("--repeat", type=_positive, metavar="R",
                        help="repetitions (see --list for each default)")
    parser.add_argument("--workdir", metavar="DIR",
                        help="where temporary databases go (default: the system temp dir); "
                             "use a disk-backed directory, fsync on tmpfs costs nothing")
    args = parser.parse_args(argv)
    if not args.list and args.scenario is None:
        parser.error("a SCENARIO or --list is required")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name in sorted(SCENARIOS):
            scenario = SCENARIOS[name]
            scale = "-" if scenario.default_scale is None else str(scenario.default_scale)
            sys.stdout.write(
                f"{name:<16} scale={scale:<7} repeat={scenario.default_repeat:<2} "
                f"{scenario.summary}\n"
            )
        return 0
    scenario = SCENARIOS[args.scenario]
    repeat = scenario.default_repeat if args.repeat is None else args.repeat
    note(f"{scenario.name}: scale={args.scale or scenario.default_scale} repeat={repeat}")
    try:
        result = scenario.run(args.scale, repeat, args.workdir)
    except Exception as exc:  # one line on stderr, no JSON on stdout, exit 1
        note(f"{scenario.name} failed: {type(exc).__name__}: {exc}")
        return 1
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
