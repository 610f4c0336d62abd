"""plan_report: how every plan check ends: its problems on stderr, or its summary on stdout."""
import sys


def finish(name, errors, summary):
    """finish prints errors (one a line) and their count on stderr and returns 1, or, with none,
    prints "name: summary" and returns 0: the check's exit status."""
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"{name}: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"{name}: {summary}")
    return 0
