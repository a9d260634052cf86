"""A small botocore data directory for a task's own AWS clients: the datastore's S3 and
DynamoDB clients, and the start task's Step Functions one.

Making a botocore client costs a task more CPU than anything else before user code:
botocore lists its ~450 service directories, parses the 1.2 MB ``endpoints.json`` and
each service's model (with every operation and its documentation). The runtime image
runs ``python -m sfncompile.storage.botocore_data DIR`` once, at build time, to write
what a task's clients need, taken from the installed botocore's own loader: the
operations below with the shapes they reach (documentation emptied), the services'
endpoint rule sets and paginators, and the shared data files with only these services'
endpoints. ``$SFNCOMPILE_BOTOCORE_DATA`` names that directory at run time.

Nothing here is copied into the repository, and a directory built by another botocore
version is ignored (the clients then load botocore's full data as usual).
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, Iterable, Optional, Set

ENV = "SFNCOMPILE_BOTOCORE_DATA"
MANIFEST = "sfncompile-botocore-data.json"

# The operations a task calls: the storage backends', s3transfer's included (upload_fileobj,
# upload_file, download_file: storage/s3_objects.py), and the start task's read of its
# execution's input (runtime/execution_input.py).
OPERATIONS: Dict[str, tuple] = {
    "s3": ("PutObject", "GetObject", "HeadObject", "DeleteObject", "ListObjectsV2", "CreateMultipartUpload",
           "UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload"),
    "dynamodb": ("GetItem", "PutItem", "UpdateItem", "Query"),
    "stepfunctions": ("DescribeExecution",),
}
SERVICE_TYPES = ("endpoint-rule-set-1", "paginators-1")  # besides service-2
SHARED = ("partitions", "sdk-default-configuration", "_retry")  # besides endpoints


def _strip_docs(value: Any) -> Any:
    """Every ``documentation`` emptied (the key stays: botocore reads some of them)."""
    if isinstance(value, dict):
        return {k: "" if k == "documentation" else _strip_docs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_docs(v) for v in value]
    return value


def _reachable(shapes: Dict[str, Any], roots: Iterable[str]) -> Set[str]:
    seen: Set[str] = set()
    todo = [r for r in roots if r]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        shape = shapes[name]
        refs = [m["shape"] for m in shape.get("members", {}).values()]
        refs += [shape[k]["shape"] for k in ("member", "key", "value") if k in shape]
        todo.extend(r for r in refs if r not in seen)
    return seen


def trim_service_model(model: Dict[str, Any], operations: Iterable[str]) -> Dict[str, Any]:
    """``model`` with only ``operations`` and the shapes they reach, documentation emptied."""
    ops = {name: model["operations"][name] for name in operations}
    roots = []
    for op in ops.values():
        roots += [op.get(k, {}).get("shape") for k in ("input", "output")]
        roots += [e["shape"] for e in op.get("errors", ())]
    keep = _reachable(model["shapes"], roots)
    out = {k: v for k, v in model.items() if k not in ("operations", "shapes")}
    out["operations"] = ops
    out["shapes"] = {name: shape for name, shape in model["shapes"].items() if name in keep}
    return _strip_docs(out)


def trim_endpoints(endpoints: Dict[str, Any], services: Iterable[str]) -> Dict[str, Any]:
    """``endpoints.json`` with only ``services`` in each partition."""
    wanted = set(services)
    out = dict(endpoints)
    out["partitions"] = [
        dict(p, services={k: v for k, v in p.get("services", {}).items() if k in wanted}) for p in endpoints["partitions"]
    ]
    return out


def _write(path: str, data: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, separators=(",", ":"))


def build(target: str) -> str:
    """Write the data directory for the installed botocore into ``target``; returns it."""
    import botocore
    from botocore.loaders import create_loader

    loader = create_loader()
    for service, operations in OPERATIONS.items():
        version = loader.determine_latest_version(service, "service-2")
        model = loader.load_service_model(service, "service-2", version)
        _write(os.path.join(target, service, version, "service-2.json"), trim_service_model(model, operations))
        for type_name in SERVICE_TYPES:
            _write(os.path.join(target, service, version, f"{type_name}.json"),
                   loader.load_service_model(service, type_name, version))
    _write(os.path.join(target, "endpoints.json"), trim_endpoints(loader.load_data("endpoints"), OPERATIONS))
    for name in SHARED:
        _write(os.path.join(target, f"{name}.json"), loader.load_data(name))
    _write(os.path.join(target, MANIFEST), {"botocore": botocore.__version__, "operations": OPERATIONS})
    return target


def loader() -> Optional[Any]:
    """A botocore loader reading only ``$SFNCOMPILE_BOTOCORE_DATA``, if that directory was built by
    the installed botocore; else None (botocore's own data is used)."""
    path = os.environ.get(ENV)
    if not path:
        return None
    try:
        with open(os.path.join(path, MANIFEST), encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        return None
    import botocore
    from botocore.loaders import Loader

    if manifest.get("botocore") != botocore.__version__:
        return None
    # Extras (sdk-extras) were merged in at build time.
    return Loader(extra_search_paths=[path], include_default_search_paths=False, include_default_extras=False)


if __name__ == "__main__":  # the image build: python -m sfncompile.storage.botocore_data DIR
    if len(sys.argv) != 2:
        sys.exit("usage: python -m sfncompile.storage.botocore_data DIR")
    print(f"botocore data for {', '.join(OPERATIONS)} written to {build(sys.argv[1])}")
