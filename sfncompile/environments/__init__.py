"""Per-step package environments: ``@pypi`` / ``@conda`` resolved with uv.

- ``spec``: what a step asks for (its decorator over the flow's base or ``requirements.txt``).
- ``lock``: ``uv pip compile`` into a hashed lock per target (this machine, the image);
  the environment id is the lock's sha256; locks are cached.
- ``venv`` + ``workers``: local runs build the venv once in the user cache and run the
  step in workers started from its interpreter.
- ``wheels``: deploy uploads the image platform's wheels to the datastore (``envs/``).
- ``bootstrap``: in the container, ``sfncompile task`` builds the venv from those wheels
  offline and re-executes itself under it.
"""
