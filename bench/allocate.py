"""`make bench-allocate`: a regional preference campaign — 300 000 children × 5 ranked choices
× 15 000 groups (capacities 10–25, demand skewed towards popular groups) — allocated by deferred
acceptance; stability checked on the full result; agreement with the `matching` package checked
on a 3 000-child instance of the same shape (that package cannot run regional sizes)."""

import os
import random
import sys
import time
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from enrollment.allocation import Instance, allocate, blocking_pairs, draw_lottery

CHILDREN = int(os.environ.get("BENCH_CHILDREN", "300000"))
GROUPS = int(os.environ.get("BENCH_GROUPS", "15000"))
CHOICES = 5
SEED = 20261123


def generate(children: int, groups: int, seed: int) -> Instance:
    rng = random.Random(seed)
    # Zipf-like demand: the famous Кванториум group is wanted by many, a village club by few.
    cumulative = list(accumulate(1 / (rank + 1) ** 0.9 for rank in range(groups)))
    order = list(range(groups))
    rng.shuffle(order)  # popularity unrelated to group numbers
    choices, priorities = [], []
    for _ in range(children):
        picked: list[int] = []
        for group in rng.choices(order, cum_weights=cumulative, k=CHOICES * 3):
            if group not in picked:
                picked.append(group)
                if len(picked) == CHOICES:
                    break
        choices.append(picked)
        ovz = 2 if rng.random() < 0.05 else 0  # ОВЗ first, then siblings already in the organization
        priorities.append([max(ovz, 1 if rng.random() < 0.08 else 0) for _ in picked])
    return Instance(
        choices=choices,
        priorities=priorities,
        capacities=[rng.randint(10, 25) for _ in range(groups)],
        lottery=draw_lottery(children, seed),
    )


def reference_agrees() -> bool:
    from enrollment.tests.reference import reference

    instance = generate(3000, 150, SEED + 1)
    return allocate(instance).assigned == reference(instance)


def main() -> None:
    started = time.perf_counter()
    instance = generate(CHILDREN, GROUPS, SEED)
    print(f"сгенерировано за {time.perf_counter() - started:.1f} с", flush=True)
    started = time.perf_counter()
    allocation = allocate(instance)
    seconds = time.perf_counter() - started
    assigned = sum(1 for group in allocation.assigned if group is not None)
    first_choice = sum(1 for c, group in enumerate(allocation.assigned) if group == instance.choices[c][0])
    stable = not blocking_pairs(instance, allocation, limit=1)
    agrees = reference_agrees()
    seats = sum(instance.capacities)
    print(f"assigned={assigned} first_choice={first_choice} proposals={allocation.proposals} seats={seats}")
    print(
        f"BENCH allocate children={CHILDREN} groups={GROUPS} seconds={seconds:.2f} "
        f"stable={'yes' if stable else 'no'} reference_agrees={'yes' if agrees else 'no'}"
    )


if __name__ == "__main__":
    main()
