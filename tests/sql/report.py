"""``python -m tests.sql.report``: correct / refused / wrong / failed per area, and what is refused.

``--details`` lists every case that is not correct.
"""

from __future__ import annotations

import argparse
import collections

from tests.sql.areas import areas
from tests.sql.harness import (
    CORRECT,
    FAILED,
    REFUSED,
    WRONG,
    classify,
    connection,
    refused_construct,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="list every case not correct")
    args = parser.parse_args(argv)
    con = connection()
    statuses = (CORRECT, REFUSED, WRONG, FAILED)
    totals: collections.Counter[str] = collections.Counter()
    refused: collections.Counter[str] = collections.Counter()
    print(f"| area | cases | {' | '.join(statuses)} |")
    print("|---|---:|" + "---:|" * len(statuses))
    for area, cases in areas().items():
        counts: collections.Counter[str] = collections.Counter()
        for case in cases:
            outcome = classify(con, case)
            counts[outcome.status] += 1
            if outcome.status == REFUSED:
                refused[refused_construct(outcome)] += 1
            if args.details and outcome.status != CORRECT:
                print(
                    f"  {area} {outcome.status}: {case.statement} -> {outcome.got!r} "
                    f"{outcome.detail} (Athena: {case.expected!r})"
                )
        totals.update(counts)
        print(f"| {area} | {len(cases)} | " + " | ".join(str(counts[s]) for s in statuses) + " |")
    print(
        f"| total | {sum(totals.values())} | " + " | ".join(str(totals[s]) for s in statuses) + " |"
    )
    if refused:
        print("\nStill refused: " + "; ".join(f"{c} ({n})" for c, n in sorted(refused.items())))
    return 1 if totals[WRONG] or totals[FAILED] else 0


if __name__ == "__main__":
    raise SystemExit(main())
