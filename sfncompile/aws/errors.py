"""AWS errors as one readable line with the fix (the stack only with --debug)."""
from __future__ import annotations

import contextlib
from typing import Iterator

from ..exceptions import AwsError

EXPIRED = "your AWS session expired: run `aws sso login` (with --profile NAME for a named profile) or refresh your keys"
NO_CREDENTIALS = "AWS credentials are missing or invalid: run `aws sso login` or `aws configure`, or pass --profile NAME"
NO_REGION = "pass --region to `sfncompile configure`, or set AWS_REGION (e.g. export AWS_REGION=eu-west-1)"

_FIXES = {
    "AccessDenied": "the caller's IAM policy does not allow this; use credentials of the account that ran `cdk deploy`",
    "AccessDeniedException": "the caller's IAM policy does not allow this; use credentials of the account that ran `cdk deploy`",
    "UnrecognizedClientException": NO_CREDENTIALS,
    "InvalidClientTokenId": NO_CREDENTIALS,
    "ExpiredToken": EXPIRED,
    "ExpiredTokenException": EXPIRED,
    "RequestExpired": EXPIRED,
    "ThrottlingException": "AWS is throttling requests; wait a moment and run the command again",
    "TooManyRequestsException": "AWS is throttling requests; wait a moment and run the command again",
    "StateMachineDoesNotExist": "deploy the flow first: `sfncompile deploy flow.py`",
    "ExecutionDoesNotExist": "check the run id with `sfncompile runs FLOW`",
    "ResourceNotFoundException": "a resource of the sfncompile stack is missing: redeploy the infra (`cdk deploy`) "
    "and rerun `sfncompile configure --stack ...`",
    "NoSuchBucket": "the datastore bucket is missing: redeploy the infra and rerun `sfncompile configure`",
    "ValidationError": "check the stack name: `aws cloudformation list-stacks`",
}


def describe(exc: Exception, action: str) -> AwsError:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError, ProfileNotFound

    if isinstance(exc, NoCredentialsError):
        return AwsError(f"{action}: no AWS credentials found", fix=NO_CREDENTIALS)
    if isinstance(exc, ProfileNotFound):
        return AwsError(f"{action}: AWS profile {exc.kwargs.get('profile')!r} is not configured",
                        fix="check the name in ~/.aws/config (`aws configure list-profiles`), or drop --profile")
    if isinstance(exc, NoRegionError):
        return AwsError(f"{action}: no AWS region", fix=NO_REGION)
    if _is_expired_login(exc):
        return AwsError(f"{action}: your AWS login has expired", fix=EXPIRED)
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Error")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        return AwsError(f"{action}: {code}: {message}", fix=_FIXES.get(code))
    if isinstance(exc, BotoCoreError):
        return AwsError(f"{action}: {exc}", fix="check your network and AWS endpoint settings")
    return AwsError(f"{action}: {exc}")


def _is_expired_login(exc: Exception) -> bool:
    """An SSO token or refreshable credentials that can no longer be refreshed."""
    import botocore.exceptions as be

    kinds = tuple(getattr(be, n) for n in ("SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError",
                                          "RefreshWithMFAUnsupportedError") if hasattr(be, n))
    return isinstance(exc, kinds)


@contextlib.contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn botocore errors raised inside the block into an AwsError saying what failed."""
    try:
        yield
    except AwsError:
        raise
    except Exception as exc:  # noqa: BLE001 - classified below, re-raised otherwise
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, (BotoCoreError, ClientError)):
            raise describe(exc, action) from exc
        raise
