"""The loaded model kept out of full garbage collections (clinic/long_lived_heap.py),
and handed back to the collector when a model is replaced."""
import gc
import weakref

import pytest

from clinic import long_lived_heap


class Model:
    """Stands for a loaded model: objects in a reference cycle, as TensorFlow's are."""

    def __init__(self) -> None:
        self.itself = self


@pytest.fixture
def thawed_afterwards():
    yield
    long_lived_heap.thaw()


def test_what_is_alive_at_freezing_is_left_out_of_collections(thawed_afterwards) -> None:
    model = Model()
    long_lived_heap.freeze()
    assert gc.get_freeze_count() > 0
    gone = weakref.ref(model)
    del model
    gc.collect()
    assert gone() is not None  # frozen: the full collection did not look at it


def test_a_replaced_model_is_collected_after_thawing(thawed_afterwards) -> None:
    old = Model()
    long_lived_heap.freeze()
    long_lived_heap.thaw()
    assert gc.get_freeze_count() == 0
    gone = weakref.ref(old)
    del old
    long_lived_heap.freeze()  # as after the new model is loaded: collects first
    assert gone() is None
