"""The `matching` package's hospital–resident solver as an independent reference for tests and
`make bench-allocate`. It deep-copies its player graph recursively (matching issue #139), so
instances of a few thousand children need a deep recursion limit and a large thread stack."""

import sys
import threading

from matching.games import HospitalResident

from enrollment.allocation import Instance


def _solve(instance: Instance) -> list[int | None]:
    resident_prefs = {f"c{c}": [f"g{g}" for g in picks] for c, picks in enumerate(instance.choices)}
    applicants: dict[int, list[tuple[tuple[int, int], int]]] = {}
    for c, picks in enumerate(instance.choices):
        for k, g in enumerate(picks):
            applicants.setdefault(g, []).append(((-instance.priorities[c][k], instance.lottery[c]), c))
    hospital_prefs = {f"g{g}": [f"c{c}" for _, c in sorted(ranked)] for g, ranked in applicants.items()}
    capacities = {f"g{g}": instance.capacities[g] for g in applicants}
    game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
    assigned: list[int | None] = [None] * len(instance.choices)
    for hospital, residents in game.solve(optimal="resident").items():
        for resident in residents:
            assigned[int(resident.name[1:])] = int(hospital.name[1:])
    return assigned


def reference(instance: Instance) -> list[int | None]:
    """The child-optimal stable matching as the `matching` package computes it."""
    result: list[list[int | None]] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(_solve(instance))
        except BaseException as error:  # re-raised below, in the caller's thread
            failure.append(error)

    limit, stack = sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(200_000)
    threading.stack_size(512 * 1024 * 1024)
    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(stack)
        sys.setrecursionlimit(limit)
    if failure:
        raise failure[0]
    return result[0]
