import pytest


@pytest.fixture(autouse=True)
def _default_namespace():
    from sfncompile.client import backend, core

    core._current_namespace = core._UNSET
    backend.reset()
    yield
    core._current_namespace = core._UNSET
    backend._PROVIDERS.clear()
    backend.reset()
