"""Deferred acceptance: stable, child-optimal, priorities before the lottery, checked against the
`matching` package (an independent implementation) on small instances."""

import random

import pytest

from enrollment.allocation import Allocation, Instance, allocate, blocking_pairs, draw_lottery
from enrollment.tests.reference import reference


def random_instance(seed: int, children: int = 300, groups: int = 20, choices: int = 5) -> Instance:
    rng = random.Random(seed)
    popularity = [1 / (g + 1) ** 0.8 for g in range(groups)]  # a few groups everyone wants
    ranked = []
    for _ in range(children):
        picked: list[int] = []
        while len(picked) < min(choices, groups):
            group = rng.choices(range(groups), weights=popularity)[0]
            if group not in picked:
                picked.append(group)
        ranked.append(picked)
    priorities = [[rng.choice((0, 0, 0, 1, 2)) for _ in picks] for picks in ranked]
    return Instance(
        choices=ranked,
        priorities=priorities,
        capacities=[rng.randint(3, 12) for _ in range(groups)],
        lottery=draw_lottery(children, seed),
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 2026])
def test_the_result_agrees_with_the_reference_and_is_stable(seed):
    instance = random_instance(seed)
    allocation = allocate(instance)
    assert allocation.assigned == reference(instance)
    assert blocking_pairs(instance, allocation) == []
    for group, capacity in enumerate(instance.capacities):
        assert allocation.assigned.count(group) <= capacity


def test_the_stability_check_finds_a_blocking_pair():
    instance = Instance(choices=[[0], [0]], priorities=[[0], [0]], capacities=[1], lottery=[0, 1])
    unfair = Allocation(assigned=[None, 0], cutoffs=[(0, 1)], proposals=2)  # the worse lottery got the seat
    assert blocking_pairs(instance, unfair) == [(0, 0)]
    assert blocking_pairs(instance, allocate(instance)) == []


def test_priority_comes_before_the_lottery_and_the_family_sees_why():
    # Child 1 has ОВЗ priority at group 0 but a worse lottery number than child 0.
    instance = Instance(choices=[[0, 1], [0, 1]], priorities=[[0, 0], [1, 0]], capacities=[1, 1], lottery=[0, 1])
    allocation = allocate(instance)
    assert allocation.assigned == [1, 0]
    [(group, reason)] = allocation.explain(instance, 0)
    assert group == 0 and "приоритетом не ниже 1" in reason


def test_the_lottery_decides_equal_priorities_and_is_reproducible_from_its_seed():
    assert draw_lottery(1000, 7) == draw_lottery(1000, 7) != draw_lottery(1000, 8)
    assert sorted(draw_lottery(1000, 7)) == list(range(1000))
    instance = Instance(choices=[[0], [0], [0]], priorities=[[0], [0], [0]], capacities=[2], lottery=[2, 0, 1])
    allocation = allocate(instance)
    assert allocation.assigned == [None, 0, 0]
    [(_, reason)] = allocation.explain(instance, 0)
    assert "проходной номер жребия 1" in reason and "у ребёнка 2" in reason


def test_a_child_refused_everywhere_stays_unassigned_and_empty_instances_work():
    instance = Instance(choices=[[0], [0], []], priorities=[[1], [0], []], capacities=[1], lottery=[1, 0, 2])
    assert allocate(instance).assigned == [0, None, None]
    assert allocate(Instance(choices=[], priorities=[], capacities=[], lottery=[])).assigned == []
