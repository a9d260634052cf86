"""Runtime: run ONE task (resolve inputs, run user code, persist artifacts, record metadata).

``run_task`` in ``task.py`` is the single entrypoint: the local scheduler's workers
and the Batch container (``sfncompile task ...``) both call it.
"""
