"""An in-process moto server (threads of the pytest process) with Step Functions
execution on and Batch jobs run as local subprocesses (see moto_adapters.py).

    server = MotoServer().start()
    server.endpoint_url          # http://127.0.0.1:<free port>
    server.env                   # AWS_* variables for subprocesses (endpoint, fake creds, region)
    server.subprocess_env(SFNCOMPILE_CONFIG=path)   # os.environ + env + extras
    server.client("stepfunctions")
    server.batch_jobs()          # every Batch job submitted since the last reset, in order
    server.reset()               # cheap per-test reset (state, jobs, retry records)
    server.stop()
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import uuid
from typing import Any, Dict, List, Optional

import boto3
import requests
from botocore.config import Config

from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer

from . import moto_adapters
from .moto_adapters import BatchJobRecord, BatchJobRunner, RetrySleeps

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account for any unknown access key
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

# Execution states Step Functions can be in; anything else is final.
_RUNNING = ("RUNNING", "PENDING_REDRIVE")


class ExecutionTimeout(AssertionError):
    pass


class MotoServer:
    """moto's ThreadedMotoServer on 127.0.0.1, a free port, configured for sfncompile."""

    region = REGION
    account_id = ACCOUNT_ID

    def __init__(self, workdir: Optional[str] = None, retry_sleep_scale: float = 0.0) -> None:
        self.workdir = workdir or tempfile.mkdtemp(prefix="sfncompile-moto-")
        self._retry_sleep_scale = retry_sleep_scale
        self._server: Optional[ThreadedMotoServer] = None
        self.host = "127.0.0.1"
        self.port = 0
        self._adapters: Optional[moto_adapters.InstalledAdapters] = None
        self.session: Optional[boto3.Session] = None
        self._clients: Dict[str, Any] = {}

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> "MotoServer":
        if self._server is not None:
            return self
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request log lines
        server = ThreadedMotoServer(ip_address=self.host, port=0, verbose=False)
        server.start()
        self._server = server
        self.host, self.port = server.get_host_and_port()
        self._adapters = moto_adapters.install(
            self.endpoint_url, self.env, workdir=os.path.join(self.workdir, "batch-jobs")
        )
        os.makedirs(self._adapters.runner.workdir, exist_ok=True)
        self._adapters.retry_sleeps.scale = self._retry_sleep_scale
        self.session = boto3.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=self.region,
        )
        self.configure()
        return self

    def configure(self) -> None:
        """Turn Step Functions execution on and keep the (patched) Docker Batch backend.

        ``POST /moto-api/config`` is the server's documented switch; it writes into
        ``moto.core.config.default_user_config``, which is what
        ``moto.stepfunctions.responses.get_backend`` reads on every request. (Its GET
        reply only echoes "batch"/"lambda", hence the direct check.)
        ``batch.use_docker`` stays True: False would route Batch to moto's
        ``batch_simple`` backend, which never starts a job thread (adapter C runs there).
        """
        resp = requests.post(
            f"{self.endpoint_url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}, "batch": {"use_docker": True}},
            timeout=10,
        )
        resp.raise_for_status()
        if not default_user_config.get("stepfunctions", {}).get("execute_state_machine"):
            raise RuntimeError("moto did not turn on stepfunctions.execute_state_machine")

    def stop(self) -> None:
        if self._server is None:
            return
        try:
            self._stop_executions()
        except Exception:
            pass
        moto_adapters.uninstall()
        self._server.stop()
        self._server = None
        self._adapters = None

    def __enter__(self) -> "MotoServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def reset(self) -> None:
        """Cheap per-test reset: stop running executions, kill and forget Batch jobs,
        forget retry sleeps, then wipe every moto backend (``POST /moto-api/reset``).
        Batch mode goes back to "subprocess"; the config (SFN execution) is kept."""
        self._stop_executions()
        self.batch.clear()
        self.retry_sleeps.clear()
        from .eventbridge import STATE as eventbridge_deliveries

        eventbridge_deliveries.clear()
        self.retry_sleeps.scale = self._retry_sleep_scale
        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=30).raise_for_status()
        self.configure()

    def _stop_executions(self) -> None:
        sfn = self.client("stepfunctions")
        for page in sfn.get_paginator("list_state_machines").paginate():
            for machine in page["stateMachines"]:
                running = sfn.list_executions(
                    stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
                )["executions"]
                for execution in running:
                    try:
                        sfn.stop_execution(executionArn=execution["executionArn"], error="HarnessReset")
                    except Exception:
                        pass

    # -- connection details ------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def env(self) -> Dict[str, str]:
        """What a subprocess needs to talk to this server instead of AWS (and only to it)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            **FAKE_CREDENTIALS,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            # Never read the developer's ~/.aws, never ask an instance metadata service.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def subprocess_env(self, base: Optional[Dict[str, str]] = None, **extra: str) -> Dict[str, str]:
        """``base`` (default: os.environ) without AWS_PROFILE/AWS_SESSION_TOKEN, plus
        :attr:`env`, plus ``extra``: pass as ``env=`` to subprocess.run."""
        env = dict(os.environ if base is None else base)
        for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
            env.pop(var, None)
        env.update(self.env)
        env.update(extra)
        return env

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client on this server (cached per service when called without kwargs)."""
        assert self.session is not None, "start() the server first"
        if kwargs:
            return self.session.client(service, endpoint_url=self.endpoint_url, **kwargs)
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, endpoint_url=self.endpoint_url,
                config=Config(retries={"max_attempts": 1, "mode": "standard"}),
            )
        return self._clients[service]

    # -- Batch -------------------------------------------------------------------------

    @property
    def batch(self) -> BatchJobRunner:
        assert self._adapters is not None, "start() the server first"
        return self._adapters.runner

    def batch_jobs(self) -> List[BatchJobRecord]:
        """Every Batch job submitted since the last reset, in submission order."""
        return self.batch.jobs()

    def set_batch_mode(self, mode: str) -> None:
        """``"subprocess"`` (run the command) or ``"instant"`` (succeed without running)."""
        self.batch.set_mode(mode)

    # -- retries -----------------------------------------------------------------------

    @property
    def retry_sleeps(self) -> RetrySleeps:
        """``.requested``: every ASL Retry wait (seconds) since the last reset; ``.scale``."""
        assert self._adapters is not None, "start() the server first"
        return self._adapters.retry_sleeps

    # -- Step Functions helpers --------------------------------------------------------

    def create_state_machine(
        self, definition: Any, name: Optional[str] = None, role_arn: Optional[str] = None, **kwargs: Any
    ) -> str:
        """Create a state machine from a dict or JSON string; returns its ARN."""
        body = definition if isinstance(definition, str) else json.dumps(definition)
        return self.client("stepfunctions").create_state_machine(
            name=name or f"harness-{uuid.uuid4().hex[:12]}",
            definition=body,
            roleArn=role_arn or f"arn:aws:iam::{self.account_id}:role/harness-state-machine",
            **kwargs,
        )["stateMachineArn"]

    def start_execution(self, state_machine_arn: str, input: Any = None, name: Optional[str] = None) -> str:
        # Always name it: moto 5.2.1's interpreter backend does not generate a name,
        # so unnamed executions all get the ARN "...:None" (the 2nd is ExecutionAlreadyExists).
        kwargs: Dict[str, Any] = {
            "stateMachineArn": state_machine_arn,
            "name": name or f"exec-{uuid.uuid4().hex}",
        }
        if input is not None:
            kwargs["input"] = input if isinstance(input, str) else json.dumps(input)
        return self.client("stepfunctions").start_execution(**kwargs)["executionArn"]

    def wait_for_execution(self, execution_arn: str, timeout: float = 60.0, poll: float = 0.02) -> Dict[str, Any]:
        """Poll DescribeExecution until the execution leaves RUNNING; returns the
        description (``status``, ``output``, ``error``, ``cause``, ...). Raises
        :class:`ExecutionTimeout` with the last history events on timeout."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            desc = sfn.describe_execution(executionArn=execution_arn)
            if desc["status"] not in _RUNNING:
                return desc
            if time.monotonic() > deadline:
                tail = [e["type"] for e in self.execution_history(execution_arn)[-15:]]
                raise ExecutionTimeout(
                    f"execution {execution_arn} still {desc['status']} after {timeout}s; "
                    f"last events: {tail}; batch jobs: "
                    f"{[(j.job_name, j.status) for j in self.batch_jobs()]}"
                )
            time.sleep(poll)

    def run_execution(
        self, state_machine_arn: str, input: Any = None, timeout: float = 60.0, name: Optional[str] = None
    ) -> Dict[str, Any]:
        """start_execution + wait_for_execution."""
        return self.wait_for_execution(self.start_execution(state_machine_arn, input, name), timeout)

    def run_definition(self, definition: Any, input: Any = None, timeout: float = 60.0) -> Dict[str, Any]:
        """Create a throwaway state machine from ``definition`` and run it to the end."""
        return self.run_execution(self.create_state_machine(definition), input, timeout)

    def execution_history(self, execution_arn: str) -> List[Dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: List[Dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            events.extend(page["events"])
        return events
