"""Local runs: the scheduler (``scheduler.py``), its task processes (``pool.py``), what it prints (``output.py``).

How a local run works
---------------------
- The flow file is imported and its graph built once, in the parent process.
  Each task runs in a process of its own (``pool.py``; up to ``--max-workers`` at a
  time, default: the number of CPUs): a fresh fork of the parent (or, with
  ``SFNCOMPILE_START_METHOD=spawn``, a fresh interpreter), started ahead of need, in a
  process group of its own that is killed when the task ends. So a task starts clean
  (no earlier step's cwd, environment or module globals), costs no interpreter start
  nor import with fork, and leaves no subprocess behind. It calls
  ``runtime.task.run_task`` with its own store connections (SQLite in WAL mode).
- The scheduler walks the graph IR with ``graph.transitions.next_values``: a
  foreach split's recorded cardinality fans out, a switch's recorded choice
  routes, a join waits for one input per item (or per branch). Task ids are the
  same as on Step Functions.
- @retry: a failed attempt (exception, @timeout, or a task process killed by the OS)
  is retried at once, or after ``minutes_between_retries`` when the user set it
  (Metaflow's local behaviour); each attempt has its own storage.
  @timeout: an in-task alarm raises in the step at the limit; the task's process
  group is killed 2 s later if the step does not return.
- A task out of attempts fails the run: running tasks are stopped, the run is
  marked FAILED, the traceback is printed once; finished tasks stay readable.
  Ctrl-C (SIGINT), SIGTERM or SIGHUP kills every task's process group and marks the
  run FAILED saying which (exit 130, 143, 129). A scheduler killed outright leaves a run
  that every reader reports FAILED ("scheduler lost", ``liveness.py``).
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
