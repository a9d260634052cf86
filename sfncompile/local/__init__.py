"""Local runs: the scheduler (``scheduler.py``), its worker pool (``pool.py``), what it prints (``output.py``).

How a local run works
---------------------
- The flow file is imported and its graph built once, in the parent process.
  Workers are forked from it on demand (up to ``--max-workers``, default: the number of CPUs) and
  reused, so a task costs neither an interpreter start nor an import: each worker
  calls ``runtime.task.run_task`` for the tasks it is sent, with its own store
  connections (SQLite in WAL mode, shared safely by all workers).
- The scheduler walks the graph IR with ``graph.transitions.next_values``: a
  foreach split's recorded cardinality fans out, a switch's recorded choice
  routes, a join waits for one input per item (or per branch). Task ids are the
  same as on Step Functions.
- @retry: a failed attempt (exception, @timeout, or a worker killed by the OS)
  is retried at once, or after ``minutes_between_retries`` when the user set it
  (Metaflow's local behaviour); each attempt has its own storage.
  @timeout: an in-task alarm raises in the step at the limit; the worker is
  killed 2 s later if the step does not return. A worker that dies is replaced.
- A task out of attempts fails the run: running tasks are stopped, the run is
  marked FAILED, the traceback is printed once; finished tasks stay readable.
  Ctrl-C (SIGINT) or SIGTERM stops the workers and marks the run FAILED (exit 130).
- @catch: on the last attempt the exception is stored (``CaughtException``) and
  the task succeeds; a failed switch goes to its first case that does not loop
  back; a failed foreach split fans out to zero items (the join gets empty
  ``inputs`` and inherits the split's artifacts, including the exception).

Resume
------
``sfncompile resume flow.py [--origin-run-id R] [--step S]`` starts a new run with
the origin's parameters. Walking the graph as a run would, a task is *reused*
(its metadata and artifact index are cloned; blobs are shared, nothing copied)
when the origin has a successful task with the same id, all of the task's
parents were themselves reused, and its step is not S. So everything before the
failure (or before S) is reused, and the failed task and everything after it run
again. The default origin is the latest run of the flow in the current namespace.
"""
