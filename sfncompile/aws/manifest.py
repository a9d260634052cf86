"""The deploy manifest: what `trigger`, `runs --wait` and `delete` need to know about a deployment.

Stored beside the flow's data (``<root>/<Flow>/deployments/<name>.json``) so that
a user with only the flow's name (no file) can trigger it with typed parameters.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional

from ..exceptions import NotFoundError


def deployments_prefix(flow: str) -> str:
    return f"{flow}/deployments/"


def manifest_key(flow: str, name: str) -> str:
    return f"{deployments_prefix(flow)}{name}.json"


def write_manifest(objects: Any, flow: str, name: str, manifest: Dict[str, Any]) -> bool:
    """Write when changed; returns True if written."""
    key = manifest_key(flow, name)
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    if objects.exists(key) and objects.get_bytes(key) == data:
        return False
    objects.put_bytes(key, data)
    return True


def deployment_names(objects: Any, flow: str) -> List[str]:
    """The names of every deployment of ``flow`` in this stage (each branch of a @project flow):
    one listing of its manifests' keys, none of them read."""
    prefix = deployments_prefix(flow)
    return sorted(k[len(prefix):-len(".json")] for k in objects.list(prefix) if k.endswith(".json"))


UNKNOWN_USER = "unknown"  # a manifest written before deploys recorded who deployed


def deployer(manifest: Mapping[str, Any]) -> Dict[str, str]:
    """``{"username", "namespace"}`` of whoever deployed: the runs a schedule, an event rule or the
    console start belong to them (deploy puts them in the job definition's environment)."""
    found = manifest.get("deployed_by")
    if isinstance(found, Mapping) and found.get("username") and found.get("namespace"):
        return {"username": str(found["username"]), "namespace": str(found["namespace"])}
    return {"username": UNKNOWN_USER, "namespace": f"user:{UNKNOWN_USER}"}


def read_manifest(objects: Any, flow: str, name: str) -> Dict[str, Any]:
    key = manifest_key(flow, name)
    if not objects.exists(key):
        raise NotFoundError(
            f"flow {flow} is not deployed as {name}",
            fix=f"deploy it first: `sfncompile deploy path/to/{flow.lower()}.py`, or pass --name",
        )
    return json.loads(objects.get_bytes(key))


def find_manifest(objects: Any, config: Mapping[str, Any], flow: str, name: Optional[str]) -> Dict[str, Any]:
    """The manifest of ``flow`` deployed as ``name``.

    Default: the stack's prefix + flow; for a @project flow (no such deployment) the caller's
    own branch ``user.<username>``, as Metaflow picks it; other branches need ``--name``.
    """
    from .statemachine import deployment_name

    default = deployment_name(config, flow, name)
    if name is not None or objects.exists(manifest_key(flow, default)):
        return read_manifest(objects, flow, default)
    return branch_manifest(objects, flow) or read_manifest(objects, flow, default)


def branch_manifest(objects: Any, flow: str) -> Optional[Dict[str, Any]]:
    """The manifest of the caller's own branch of a @project ``flow``; None when it has no @project
    deployment; NotFoundError (listing them) when it has some but not the caller's."""
    from ..flow.project import branch_name
    from ..user import default_username

    projects = [m for m in (json.loads(objects.get_bytes(manifest_key(flow, n))) for n in deployment_names(objects, flow))
                if m.get("project")]
    mine = [m for m in projects if m.get("branch") == branch_name(default_username())]
    if len(mine) == 1:
        return mine[0]
    if projects:
        raise NotFoundError(
            f"flow {flow} has no deployment on your branch {branch_name(default_username())}; "
            f"its deployments: {', '.join(sorted(m['name'] for m in projects))}",
            fix="pass --name NAME, or deploy your branch: `sfncompile deploy path/to/flow.py`",
        )
    return None
