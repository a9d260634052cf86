"""``sfncompile ui``: a read-only web app over the client API (needs the ``[ui]`` extra).

    from sfncompile.ui import create_app, serve
    serve(port=8324)              # http://127.0.0.1:8324
"""
from __future__ import annotations

from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8324


def create_app(**options: Any) -> Any:
    from .app import create_app as _create

    return _create(**options)


def serve(port: int = DEFAULT_PORT, host: str = DEFAULT_HOST, open_browser: bool = False, **options: Any) -> None:
    """Serve the UI until interrupted (bound to 127.0.0.1 unless ``host`` says otherwise)."""
    import threading
    import webbrowser

    import uvicorn

    url = f"http://{host}:{port}/"
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    print(f"sfncompile ui: {url} (Ctrl-C to stop)", flush=True)
    uvicorn.run(create_app(**options), host=host, port=port, log_level="warning")


__all__ = ["create_app", "serve", "DEFAULT_HOST", "DEFAULT_PORT"]
