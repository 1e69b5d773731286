import gc

from leadflow.engine.worker import YOUNG_GC_THRESHOLD, fewer_collections


def test_fewer_young_collections_while_looping_then_restored() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        inside = gc.get_threshold()
    assert inside == (max(before[0], YOUNG_GC_THRESHOLD), *before[1:])
    assert gc.get_threshold() == before


def test_restored_when_the_loop_raises() -> None:
    before = gc.get_threshold()
    try:
        with fewer_collections():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
