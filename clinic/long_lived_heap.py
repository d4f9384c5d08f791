"""Keep the loaded model out of Python's full garbage collections.

A Rasa server holds about 870,000 Python objects once its model is loaded
(TensorFlow, spaCy, transformers). Python's full (generation 2) collection walks
all of them, and it runs every few hundred messages: 0.2-0.6 s on 2 cores during
which the server's event loop answers no one, seen as the slowest 1% of replies
under load. The model lives as long as the server, so after it is loaded its
objects are moved to the permanent generation (`gc.freeze`), which collections
skip; what messages allocate is still collected as before.

Before a model is replaced the old one is handed back to the collector
(`gc.unfreeze`), or its reference cycles would never be freed.
"""
import gc
import logging

logger = logging.getLogger(__name__)


def freeze() -> None:
    """Leave everything alive now out of later collections."""
    gc.collect()
    gc.freeze()
    logger.info("%d objects of the loaded model left out of garbage collection",
                gc.get_freeze_count())


def thaw() -> None:
    """Let the collector see the frozen objects again (before they are dropped)."""
    gc.unfreeze()
