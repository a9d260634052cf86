"""The library's loggers: ``sfncompile.*``, silent unless the application configures logging.

A ``NullHandler`` on the ``sfncompile`` logger is the stdlib convention for libraries. It is
installed by the modules that log (they import this one), not by ``import sfncompile``:
``logging`` is a sizeable import that commands such as ``check`` never need.
"""
import logging

logging.getLogger("sfncompile").addHandler(logging.NullHandler())


def get_logger(name: str) -> logging.Logger:
    """The logger of module ``name`` (under ``sfncompile``, so the NullHandler above applies)."""
    return logging.getLogger(name)
