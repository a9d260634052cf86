"""`sfncompile configure --stack NAME`: the stack's outputs → the config file."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from ..exceptions import ConfigError
from . import config as cfg
from .errors import aws_errors
from .session import client


def configure_from_stack(stack: str, *, region: Optional[str] = None, path: Optional[str] = None) -> Tuple[str, Dict[str, Any]]:
    """Write the stack's outputs to the config file, keeping the keys set there by hand (``run``...)."""
    from botocore.exceptions import ClientError

    cf = client("cloudformation", {"region": region} if region else None)
    try:
        with aws_errors(f"read stack {stack}"):
            stacks = cf.describe_stacks(StackName=stack)["Stacks"]
    except Exception as exc:  # noqa: BLE001 - a missing stack gets its own message
        cause = exc.__cause__
        if isinstance(cause, ClientError) and "does not exist" in str(cause):
            raise ConfigError(
                f"no CloudFormation stack named {stack} in {cf.meta.region_name}",
                fix="deploy it with `cd infra && cdk deploy -c stage=<stage>` (stack sfncompile-<stage>), "
                "or pass --region",
            ) from None
        raise
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    config = cfg.from_stack_outputs(outputs, stack=stack, region=outputs.get("Region") or cf.meta.region_name)
    config.update(cfg.hand_set(path))
    return cfg.save_config(config, path), config
