"""yuqing.roles.settle: a role's long-lived parts leave the collector's walks, start-up's garbage does not stay."""
import gc
import weakref

import pytest

from yuqing.roles import GC_YOUNG, settle


class Node:
    def __init__(self) -> None:
        self.other: object = None


@pytest.fixture
def unfrozen():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()  # the test process goes on making and dropping objects
    gc.set_threshold(*threshold)


def test_settle_collects_garbage_then_freezes_what_is_alive(unfrozen):
    gc.unfreeze()
    garbage, kept = Node(), Node()
    garbage.other = garbage  # a cycle only the collector frees
    gone = weakref.ref(garbage)
    del garbage
    settle()
    assert gone() is None  # collected before the freeze, not kept for the life of the process
    assert gc.get_freeze_count() > 0
    assert kept.other is None and gc.is_tracked(kept)
    # What is frozen is out of every generation the collector walks.
    assert not any(obj is kept for obj in gc.get_objects())


def collections() -> int:
    return sum(s["collections"] for s in gc.get_stats())


def test_a_batch_alive_at_once_is_not_walked_but_cycles_are_still_collected(unfrozen):
    settle()
    was = gc.isenabled()
    gc.enable()
    try:
        before = collections()
        batch = [{"units": [Node()], "reasons": []} for _ in range(1_000)]  # 4,000 containers
        del batch  # freed by reference counting
        assert collections() == before  # not walked (at CPython's default of 700 it was, several times)
        first = Node()
        first.other = first
        gone = weakref.ref(first)
        del first
        for _ in range(GC_YOUNG):  # garbage in cycles, as a role might make: the collector still runs
            node = Node()
            node.other = node
        assert gone() is None
    finally:
        if not was:
            gc.disable()
