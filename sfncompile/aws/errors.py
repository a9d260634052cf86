"""AWS errors as one readable line with the fix (the stack only with --debug)."""
from __future__ import annotations

import contextlib
from typing import Iterator

from ..exceptions import AwsError

_FIXES = {
    "AccessDenied": "the caller's IAM policy does not allow this; use credentials of the account that ran `cdk deploy`",
    "AccessDeniedException": "the caller's IAM policy does not allow this; use credentials of the account that ran `cdk deploy`",
    "UnrecognizedClientException": "AWS credentials are missing or invalid: set AWS_PROFILE or run `aws configure`",
    "InvalidClientTokenId": "AWS credentials are missing or invalid: set AWS_PROFILE or run `aws configure`",
    "ExpiredToken": "your AWS session expired: refresh your credentials",
    "ExpiredTokenException": "your AWS session expired: refresh your credentials",
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
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    if isinstance(exc, NoCredentialsError):
        return AwsError(f"{action}: no AWS credentials found", fix=_FIXES["UnrecognizedClientException"])
    if isinstance(exc, NoRegionError):
        return AwsError(f"{action}: no AWS region", fix="set AWS_DEFAULT_REGION or `sfncompile configure --region`")
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Error")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        return AwsError(f"{action}: {code}: {message}", fix=_FIXES.get(code))
    if isinstance(exc, BotoCoreError):
        return AwsError(f"{action}: {exc}", fix="check your network and AWS endpoint settings")
    return AwsError(f"{action}: {exc}")


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
