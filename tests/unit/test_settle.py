"""yuqing.roles.settle: a role's long-lived parts leave the collector's walks, start-up's garbage does not stay."""
import gc
import weakref

import pytest

from yuqing.roles import settle


class Node:
    def __init__(self) -> None:
        self.other: object = None


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()  # the test process goes on making and dropping objects


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
