"""Test support: an emulated AWS (moto server in-process) for sfncompile's tests.

- ``moto_server.MotoServer``: the threaded moto server, SFN execution on, helpers.
- ``moto_adapters``: the patches that make moto 5.2.1 faithful enough (read its docstring).
- ``aws_resources``: the infra stack's resources on the emulator + the config file.
- ``fixtures``: pytest fixtures; load with ``pytest_plugins = ["tests.support.fixtures"]``.

Importing this package is cheap; importing its modules imports moto.
"""
