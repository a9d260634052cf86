"""Deployment settings, read once from CDK context and validated up front.

Every knob of the stack is a ``-c key=value`` context value. Values given on the
command line arrive as strings, values from ``cdk.json`` may be JSON booleans or
numbers, so each one is parsed here, in one place, and a bad value fails synthesis
with a message that names the key instead of surfacing later as a broken template.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Tuple

# Stage names become part of resource names and IAM patterns such as
# ``sfncompile-<stage>-*``. Forbidding "-" keeps one stage's pattern from matching
# another stage's resources (``sfncompile-dev-*`` must never match ``sfncompile-dev-2-...``).
STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,15}$")

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

COMPUTE_KINDS = ("fargate", "ec2")

# Reads one context value, e.g. ``construct.node.try_get_context``.
ContextGetter = Callable[[str], Any]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class SettingsError(ValueError):
    """A context value that cannot describe a valid deployment."""


@dataclass(frozen=True)
class Settings:
    """Everything that varies between deployments of the infra stack."""

    stage: str
    account: str
    region: str
    compute: str = "fargate"
    spot: bool = False
    instance_types: Tuple[str, ...] = ("optimal",)
    max_vcpus: int = 256
    vpc_id: Optional[str] = None
    subnet_ids: Tuple[str, ...] = ()
    availability_zones: Tuple[str, ...] = ()
    assign_public_ip: bool = True
    access_logs: bool = False
    log_retention_days: int = 30
    build_image: bool = False
    image_uri: Optional[str] = None
    ecr_keep_images: int = 10
    egress: str = "open"

    @property
    def stack_name(self) -> str:
        return f"sfncompile-{self.stage}"

    @property
    def name_prefix(self) -> str:
        """Prefix of every named resource of this stage, and of deployed state machines."""
        return f"sfncompile-{self.stage}-"

    @property
    def datastore_prefix(self) -> str:
        """Key prefix inside the bucket under which the datastore lives (see internals.md)."""
        return "sfncompile"

    @property
    def uses_existing_vpc(self) -> bool:
        return self.vpc_id is not None


# "open": jobs reach anything on the internet (the default, needs no endpoints);
# "endpoints": isolated subnets whose only way out is VPC endpoints of the AWS services used.
EGRESS_KINDS = ("open", "endpoints")


def settings_from_context(get: ContextGetter, environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Build :class:`Settings` from a context getter such as ``node.try_get_context``.

    The account and region come from ``-c account=/region=``, then from the
    credentials the CDK CLI found (``CDK_DEFAULT_ACCOUNT``/``CDK_DEFAULT_REGION``),
    then from the committed placeholders ``synth_account``/``synth_region`` so that
    an offline synthesis never needs AWS.
    """
    env = os.environ if environ is None else environ
    stage = _text(get("stage"), "dev")
    if not STAGE_PATTERN.match(stage):
        raise SettingsError(
            f"-c stage={stage!r}: a stage is 1-16 lowercase letters or digits starting with a letter "
            "(no '-', so that one stage's IAM name patterns never match another stage's resources)"
        )
    account = _text(get("account"), "") or env.get("CDK_DEFAULT_ACCOUNT", "") or _text(get("synth_account"), "")
    region = _text(get("region"), "") or env.get("CDK_DEFAULT_REGION", "") or _text(get("synth_region"), "")
    if not re.fullmatch(r"\d{12}", account):
        raise SettingsError(f"account {account!r}: pass -c account=<12-digit AWS account id>")
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        raise SettingsError(f"region {region!r}: pass -c region=<AWS region, e.g. us-east-1>")

    compute = _text(get("compute"), "fargate").lower()
    if compute not in COMPUTE_KINDS:
        raise SettingsError(f"-c compute={compute!r}: expected one of {', '.join(COMPUTE_KINDS)}")
    instance_types = _csv(get("instance_types")) or ("optimal",)
    if compute == "fargate" and get("instance_types") is not None:
        raise SettingsError("-c instance_types only applies with -c compute=ec2 (Fargate picks its own hosts)")

    vpc_id = _text(get("vpc_id"), "") or None
    subnet_ids = _csv(get("subnet_ids"))
    if vpc_id is not None and not re.fullmatch(r"vpc-[0-9a-f]{8,17}", vpc_id):
        raise SettingsError(f"-c vpc_id={vpc_id!r}: expected an id like vpc-0123456789abcdef0")
    if vpc_id is not None and not subnet_ids:
        raise SettingsError("-c vpc_id needs -c subnet_ids=subnet-a,subnet-b (the subnets Batch may place jobs in)")
    if vpc_id is None and subnet_ids:
        raise SettingsError("-c subnet_ids needs -c vpc_id=<the VPC those subnets belong to>")
    for subnet in subnet_ids:
        if not re.fullmatch(r"subnet-[0-9a-f]{8,17}", subnet):
            raise SettingsError(f"-c subnet_ids: {subnet!r} is not a subnet id like subnet-0123456789abcdef0")
    egress = _text(get("egress"), "open").lower()
    if egress not in EGRESS_KINDS:
        raise SettingsError(f"-c egress={egress!r}: expected one of {', '.join(EGRESS_KINDS)}")
    if egress == "endpoints" and vpc_id is not None:
        raise SettingsError(
            "-c egress=endpoints applies to the VPC this stack creates; for -c vpc_id, add the VPC endpoints "
            "to that VPC and restrict its routes yourself (infra/README.md, Egress)"
        )
    # Isolated subnets have no internet gateway: tasks reach AWS only through the endpoints.
    assign_public_ip = _flag(get("assign_public_ip"), egress != "endpoints", "assign_public_ip")
    if assign_public_ip and egress == "endpoints":
        raise SettingsError("-c egress=endpoints runs tasks without a public IP: drop -c assign_public_ip=true")
    if not assign_public_ip and vpc_id is None and egress != "endpoints":
        raise SettingsError(
            "-c assign_public_ip=false needs -c vpc_id: the VPC this stack creates has no NAT gateway, "
            "so tasks without a public IP could not reach ECR, S3 or DynamoDB"
        )
    azs = _csv(get("azs"))
    if azs and vpc_id is not None:
        raise SettingsError("-c azs only applies to the VPC this stack creates, not to -c vpc_id")

    retention = _integer(get("log_retention_days"), 30, "log_retention_days")
    if retention not in LOG_RETENTION_DAYS:
        raise SettingsError(
            f"-c log_retention_days={retention}: CloudWatch Logs accepts only {', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    build_image = _flag(get("build_image"), False, "build_image")
    image_uri = _text(get("image_uri"), "") or None
    if build_image and image_uri:
        raise SettingsError("-c build_image=true and -c image_uri=... are exclusive: build the image or name one")

    return Settings(
        stage=stage,
        account=account,
        region=region,
        compute=compute,
        spot=_flag(get("spot"), False, "spot"),
        instance_types=instance_types,
        max_vcpus=_positive(get("max_vcpus"), 256, "max_vcpus"),
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        availability_zones=azs,
        assign_public_ip=assign_public_ip,
        access_logs=_flag(get("access_logs"), False, "access_logs"),
        log_retention_days=retention,
        build_image=build_image,
        image_uri=image_uri,
        ecr_keep_images=_positive(get("ecr_keep_images"), 10, "ecr_keep_images"),
        egress=egress,
    )


def _text(value: Any, default: str) -> str:
    return default if value is None else str(value).strip()


def _csv(value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def _flag(value: Any, default: bool, key: str) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError(f"-c {key}={value!r}: expected true or false")


def _integer(value: Any, default: int, key: str) -> int:
    if value is None:
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        raise SettingsError(f"-c {key}={value!r}: expected a whole number") from None


def _positive(value: Any, default: int, key: str) -> int:
    number = _integer(value, default, key)
    if number < 1:
        raise SettingsError(f"-c {key}={number}: must be at least 1")
    return number
