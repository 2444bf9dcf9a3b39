"""Allocation of a preference campaign: child-proposing deferred acceptance (Gale–Shapley).

Each child ranks up to N groups. A group ranks the children who chose it by priority (higher
first: siblings in the organization, ОВЗ, residents — decided by the campaign) and then by a
lottery number drawn once per child from a published seed, so that anyone can re-run it. The
result is the child-optimal stable matching: no child and group both prefer each other to what
they got, and no child can do better by lying about their ranking.

The algorithm keeps, for each group, a heap of the children it tentatively holds with the worst
on top; a proposal either fits, displaces the worst, or is refused. Its cost is proportional to
the number of proposals (about 2 s for 300 000 children on two cores, see `make bench-allocate`).
"""

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass

Rank = tuple[int, int]  # (-priority, lottery): smaller is better for the group


@dataclass(frozen=True)
class Instance:
    """Children are 0..n-1, groups are 0..m-1.

    choices[c]: the groups child c ranked, best first (no repeats).
    priorities[c][k]: child c's priority at its k-th choice (0 when none; higher wins).
    capacities[g]: seats of group g. lottery[c]: child c's lottery number (lower wins ties).
    """

    choices: Sequence[Sequence[int]]
    priorities: Sequence[Sequence[int]]
    capacities: Sequence[int]
    lottery: Sequence[int]


@dataclass(frozen=True)
class Allocation:
    assigned: list[int | None]  # child → group, or None
    cutoffs: list[Rank | None]  # group → the worst admitted rank when full, else None (anyone fits)
    proposals: int

    def explain(self, instance: "Instance", child: int) -> list[tuple[int, str]]:
        """For each group the child ranked above what it got: why it was not given."""
        reasons = []
        got = self.assigned[child]
        for k, group in enumerate(instance.choices[child]):
            if group == got:
                break
            cutoff = self.cutoffs[group]
            priority, lottery = -instance.priorities[child][k], instance.lottery[child]
            if cutoff is None:
                reasons.append((group, "в группе нет мест для распределения"))
            elif cutoff[0] < priority:
                reasons.append((group, f"приняты дети с приоритетом не ниже {-cutoff[0]}, у ребёнка {-priority}"))
            else:
                reasons.append(
                    (group, f"при равном приоритете проходной номер жребия {cutoff[1]}, у ребёнка {lottery}")
                )
        return reasons


def draw_lottery(children: int, seed: int) -> list[int]:
    """A lottery number per child: a permutation of 0..n-1 fixed by the published seed."""
    numbers = list(range(children))
    random.Random(seed).shuffle(numbers)
    return numbers


def allocate(instance: Instance) -> Allocation:
    choices, priorities, lottery = instance.choices, instance.priorities, instance.lottery
    capacity = list(instance.capacities)
    # held[g]: heap of (-(-priority), -lottery, child) — the worst held child on top.
    held: list[list[tuple[int, int, int]]] = [[] for _ in capacity]
    next_choice = [0] * len(choices)
    free = list(range(len(choices) - 1, -1, -1))
    proposals = 0
    while free:
        child = free.pop()
        k = next_choice[child]
        if k >= len(choices[child]):
            continue  # every choice refused: the child stays unassigned
        next_choice[child] = k + 1
        group = choices[child][k]
        proposals += 1
        # Heap order: the largest rank is the worst; store its negation so heapq pops the worst.
        entry = (priorities[child][k], -lottery[child], child)
        heap = held[group]
        if len(heap) < capacity[group]:
            heapq.heappush(heap, entry)
        elif heap and entry > heap[0]:
            displaced = heapq.heapreplace(heap, entry)[2]
            free.append(displaced)
        else:
            free.append(child)
    assigned: list[int | None] = [None] * len(choices)
    cutoffs: list[Rank | None] = [None] * len(capacity)
    for group, heap in enumerate(held):
        for _, _, child in heap:
            assigned[child] = group
        if heap and len(heap) >= capacity[group]:
            worst_priority, worst_lottery, _ = heap[0]
            cutoffs[group] = (-worst_priority, -worst_lottery)
    return Allocation(assigned=assigned, cutoffs=cutoffs, proposals=proposals)


def blocking_pairs(instance: Instance, allocation: Allocation, limit: int = 10) -> list[tuple[int, int]]:
    """(child, group) pairs that would both rather be together: empty for a stable allocation."""
    capacity, assigned = instance.capacities, allocation.assigned
    filled = [0] * len(capacity)
    for group in assigned:
        if group is not None:
            filled[group] += 1
    worst: list[Rank | None] = [None] * len(capacity)
    for child, group in enumerate(assigned):
        if group is None:
            continue
        k = list(instance.choices[child]).index(group)
        rank = (-instance.priorities[child][k], instance.lottery[child])
        current = worst[group]
        if current is None or rank > current:
            worst[group] = rank
    pairs = []
    for child, ranked in enumerate(instance.choices):
        for k, group in enumerate(ranked):
            if group == assigned[child]:
                break
            rank = (-instance.priorities[child][k], instance.lottery[child])
            current = worst[group]
            if filled[group] < capacity[group] or (current is not None and rank < current):
                pairs.append((child, group))
                if len(pairs) >= limit:
                    return pairs
    return pairs
