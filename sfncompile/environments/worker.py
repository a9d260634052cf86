"""Entry point of a local environment worker: ``<env python> -m sfncompile.environments.worker FD``.

Receives the run's settings once over the pipe ``FD``, loads the flow itself (this
is a fresh interpreter), then serves tasks like a forked worker.
"""
from __future__ import annotations

import sys
from multiprocessing.connection import Connection


def main(fd: int) -> None:
    from ..local.pool import _child_setup, _serve
    from ..local.scheduler import task_handler

    conn = Connection(fd)
    init = conn.recv()
    _child_setup()
    from ..graph import build_graph
    from ..graph.loader import load_flow_class
    from ..storage.factory import open_stores

    flow_cls = load_flow_class(init["flow_file"], init["flow_name"])
    graph = build_graph(flow_cls)
    stores = open_stores(init["datastore"], init["metadata"])
    handler = task_handler(flow_cls, graph, stores, init["run_id"], init["settings"], init["params"], init["run_info"])
    _serve(conn, handler)


if __name__ == "__main__":
    main(int(sys.argv[1]))
