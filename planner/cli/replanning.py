"""gwplan optimize's replanning flags: --commit PLAN --phases IDS (phases already built, kept as that plan has
them), --previous PLAN --stability USD_PER_MW (stay close to a previous plan) and --warm-start PLAN (start the
search from a plan already made)."""

from __future__ import annotations

import argparse

from planner.fields import InputError, Problem


def _paired(args: argparse.Namespace, first: str, second: str, words: str) -> bool:
    """Whether a pair of flags that go together is given; InputError when only one of them is."""
    given = (getattr(args, first) is not None, getattr(args, second) is not None)
    if given[0] != given[1]:
        raise InputError([Problem("gwplan optimize", "", f"{words} go together")])
    return given[0]


def replanning(args: argparse.Namespace, scenario):
    """(commitments, stability, warm start) from --commit/--phases, --previous/--stability and --warm-start."""
    from planner.optimize.replan import commitments_from_plan, phase_selection, stability_from_plan
    from planner.plan import load_plan

    commitments, stability = (), None
    if _paired(args, "commit", "phases", "--commit PLAN and --phases IDS"):
        committed = load_plan(args.commit)
        try:
            commitments = commitments_from_plan(committed, scenario, phase_selection(committed, args.phases))
        except KeyError as err:
            raise InputError([Problem(str(args.commit), "", err.args[0])]) from None
    if _paired(args, "previous", "stability", "--previous PLAN and --stability USD_PER_MW"):
        stability = stability_from_plan(load_plan(args.previous), args.stability)
    warm = None
    if args.warm_start is not None:
        from planner.optimize.warm import warm_start_from_plan

        if args.alternatives:
            raise InputError([Problem("gwplan optimize", "", "--warm-start and --alternatives do not go together (each "
                                                             "alternative is a search of its own)")])
        warm = warm_start_from_plan(load_plan(args.warm_start), scenario, str(args.warm_start))
    return commitments, stability, warm
