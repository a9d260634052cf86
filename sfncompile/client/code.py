"""``Run.code`` / ``Task.code``: the code package a deployed run's tasks ran from.

Metaflow's ``MetaflowCode`` shape: ``.path`` (where the package is stored),
``.info`` (what we know of it), ``.flowspec`` (the flow file's source), ``.tarball``
(a ``tarfile.TarFile``) and ``.extract()``. The bytes are read once, and their
sha256 checked, on first use.
"""
from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
from typing import Any, Dict, Optional

from ..exceptions import IntegrityError


class Code:
    """A flow's code package, addressed by its sha256."""

    def __init__(self, backend: Any, flow: str, sha256: str, url: Optional[str] = None,
                 flow_file: Optional[str] = None) -> None:
        self._backend = backend
        self.flow_name = flow
        self.sha256 = sha256
        self.path = url or f"{flow}/code/{sha256}.tar.gz"
        self.script_name = flow_file
        self._data: Optional[bytes] = None

    @property
    def info(self) -> Dict[str, Any]:
        return {"sha256": self.sha256, "url": self.path, "flow_file": self.script_name}

    def _bytes(self) -> bytes:
        if self._data is None:
            data = self._backend.artifacts.get_code(self.flow_name, self.sha256)
            if hashlib.sha256(data).hexdigest() != self.sha256:
                raise IntegrityError(f"code package {self.path} does not match its sha256 {self.sha256}")
            self._data = data
        return self._data

    @property
    def tarball(self) -> tarfile.TarFile:
        return tarfile.open(fileobj=io.BytesIO(self._bytes()), mode="r:gz")

    @property
    def flowspec(self) -> Optional[str]:
        """The flow file's source text (None if the package does not name it)."""
        if not self.script_name:
            return None
        with self.tarball as tar:
            member = tar.extractfile(self.script_name)
            return member.read().decode("utf-8") if member is not None else None

    def extract(self, directory: Optional[str] = None) -> str:
        """Unpack (sha256 checked) into ``directory`` (default: a new temporary one); returns it."""
        from ..runtime.code_package import extract_package

        return extract_package(self._bytes(), self.sha256, directory or tempfile.mkdtemp(prefix="sfncompile-code-"))

    def __repr__(self) -> str:
        return f"Code('{self.path}')"
