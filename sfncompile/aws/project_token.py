"""The production token of a project's production deployment (Metaflow's model).

The first ``deploy --production`` of a deployment generates a token, stores it in the
datastore beside the deploy manifest (``<Flow>/deployments/<name>.production-token``:
the area only deployers write - the job role may not) and keeps a copy on the
deployer's machine (``<config dir>/tokens/<name>``). Deploying over that deployment
again needs the token: the local copy, or ``--authorize TOKEN`` (which then keeps a
local copy too). ``--generate-new-token`` replaces the token, once authorized.
Test and user branches need no token: they belong to whoever deploys them.
"""
from __future__ import annotations

import hmac
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any, Optional

from ..exceptions import SfnCompileError


class ProductionTokenError(SfnCompileError):
    """Deploying over a production deployment without its production token."""

    headline = "not authorized"


def token_key(flow: str, deployment: str) -> str:
    return f"{flow}/deployments/{deployment}.production-token"


def _local_path(deployment: str) -> str:
    from .config import config_path

    return os.path.join(os.path.dirname(os.path.abspath(config_path())), "tokens", deployment)


def _read_local(deployment: str) -> Optional[str]:
    try:
        with open(_local_path(deployment), encoding="utf-8") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


def _write_local(deployment: str, token: str) -> None:
    path = _local_path(deployment)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")


def _stored(objects: Any, flow: str, deployment: str) -> Optional[str]:
    key = token_key(flow, deployment)
    if not objects.exists(key):
        return None
    return json.loads(objects.get_bytes(key))["token"]


@dataclass
class TokenOutcome:
    """What happened to the token: ``new`` holds a token just generated (to print once)."""

    new: Optional[str] = None
    authorized_by: str = ""  # "first deploy" | "local copy" | "--authorize"


def authorize_production(objects: Any, flow: str, deployment: str, *, username: str,
                         authorize: Optional[str] = None, generate_new_token: bool = False) -> TokenOutcome:
    """Check (or create) the production token of ``deployment``; raise ProductionTokenError when not allowed."""
    stored = _stored(objects, flow, deployment)
    outcome = TokenOutcome(authorized_by="first deploy")
    if stored is not None:
        presented = authorize or _read_local(deployment)
        if presented is None or not hmac.compare_digest(presented, stored):
            what = "the token given with --authorize is not" if authorize else "you do not have"
            raise ProductionTokenError(
                f"{deployment} is a production deployment and {what} its production token",
                fix="pass --authorize TOKEN (the token printed by its first `sfncompile deploy --production`; "
                "ask whoever deployed it)",
            )
        outcome.authorized_by = "--authorize" if authorize else "local copy"
        if authorize:
            _write_local(deployment, authorize)
        if not generate_new_token:
            return outcome
    token = secrets.token_urlsafe(24)
    objects.put_bytes(token_key(flow, deployment),
                      json.dumps({"token": token, "created_by": username}, sort_keys=True).encode())
    _write_local(deployment, token)
    outcome.new = token
    return outcome
