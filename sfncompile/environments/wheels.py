"""Deploy: the image platform's wheels of each environment, uploaded content-addressed.

For an image lock, uv writes a PEP 751 ``pylock.toml`` naming exactly one binary
wheel per package for the image's platform and Python (URL + sha256). Each wheel is
downloaded once into the user cache (hash checked) and uploaded to
``<root>/envs/wheels/<sha256>/<file>`` unless already there; the lock and a manifest
(``envs/<id>/wheels.json``, written last) complete the environment. An environment
whose manifest exists is skipped whole: redeploying uploads nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional

from ..exceptions import EnvironmentSpecError
from ..storage import keys
from .lock import Lock
from .paths import locks_dir, wheels_dir, write_atomic
from .uvbin import run_uv, uv_reason

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib


def wheel_list(lock: Lock) -> List[Dict[str, Any]]:
    """[{name, version, filename, url, sha256, size}] for the lock's target (cached per environment id)."""
    cached = os.path.join(locks_dir(), f"wheels-{lock.env_id}.json")
    try:
        with open(cached, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        pass
    target = lock.target
    with tempfile.TemporaryDirectory(prefix="sfncompile-wheels-") as tmp:
        with open(os.path.join(tmp, "lock.txt"), "w", encoding="utf-8") as handle:
            handle.write(lock.text)
        out = run_uv(["pip", "compile", "lock.txt", "--no-deps", "--format", "pylock.toml", "-o", "pylock.toml",
                      "--no-header", "--quiet", "--python-version", target.python,
                      "--python-platform", str(target.platform), "--only-binary", ":all:"], cwd=tmp)
        if out.returncode != 0:
            raise EnvironmentSpecError(
                f"environment {lock.short_id}: cannot list its wheels for {target.platform}: {uv_reason(out.stderr)}"
            )
        with open(os.path.join(tmp, "pylock.toml"), "rb") as handle:
            doc = tomllib.load(handle)
    wheels = []
    for package in doc.get("packages", []):
        found = package.get("wheels") or []
        if not found:
            raise EnvironmentSpecError(
                f"environment {lock.short_id}: package {package['name']!r} has no binary wheel for {target.platform}",
                fix=f"pin a version of {package['name']} that ships wheels, or replace it",
            )
        wheel = found[0]
        url = wheel["url"]
        wheels.append({
            "name": package["name"], "version": package.get("version", ""), "filename": url.rsplit("/", 1)[-1],
            "url": url, "sha256": wheel["hashes"]["sha256"], "size": wheel.get("size"),
        })
    write_atomic(cached, json.dumps(wheels, indent=1))
    return wheels


def cached_wheel(wheel: Dict[str, Any]) -> str:
    """Local path of ``wheel`` (downloaded now if missing), its sha256 checked."""
    directory = os.path.join(wheels_dir(), wheel["sha256"])
    path = os.path.join(directory, wheel["filename"])
    if os.path.exists(path):
        return path
    os.makedirs(directory, exist_ok=True)
    digest = hashlib.sha256()
    tmp = f"{path}.{os.getpid()}.part"
    try:
        with urllib.request.urlopen(wheel["url"], timeout=120) as response, open(tmp, "wb") as out:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
    except OSError as exc:
        raise EnvironmentSpecError(f"cannot download {wheel['filename']}: {exc}", fix="check network access to PyPI") from None
    if digest.hexdigest() != wheel["sha256"]:
        os.unlink(tmp)
        raise EnvironmentSpecError(f"{wheel['filename']}: downloaded bytes do not match the lock's sha256")
    os.replace(tmp, path)
    return path


def upload_environment(objects: Any, lock: Lock, say: Callable[[str], None]) -> Optional[int]:
    """Upload ``lock``'s wheels, lock and manifest; the number of wheels uploaded, None when it was all there."""
    manifest_key = keys.env_manifest_key(lock.env_id)
    if objects.exists(manifest_key):
        return None
    wheels = wheel_list(lock)

    def upload(wheel: Dict[str, Any]) -> int:
        key = keys.wheel_key(wheel["sha256"], wheel["filename"])
        if objects.exists(key):
            return 0
        objects.put_file(key, cached_wheel(wheel))
        return 1

    with ThreadPoolExecutor(max_workers=8) as pool:
        uploaded = sum(pool.map(upload, wheels))
    objects.put_bytes(keys.env_lock_key(lock.env_id), lock.text.encode("utf-8"))
    manifest = [{k: w[k] for k in ("name", "version", "filename", "sha256", "size")} for w in wheels]
    objects.put_bytes(manifest_key, json.dumps({"env_id": lock.env_id, "wheels": manifest}, indent=1).encode())
    say(f"environment {lock.short_id}: uploaded {uploaded} of {len(wheels)} wheels")
    return uploaded
