"""@project on emulated AWS: a state machine per branch, the production token, runs read per branch."""
from __future__ import annotations

import os

import pytest

from sfncompile.aws.deploy import deploy
from sfncompile.aws.project_token import ProductionTokenError

from ..conftest import ROOT


FEATURE = os.path.join(ROOT, "tests", "aws", "flows", "triggers", "feature.py")


@pytest.fixture
def as_user(monkeypatch, tmp_path):
    """Switch the deploying user; each user has their own config directory (and so their own local tokens)."""
    config_file = os.environ["SFNCOMPILE_CONFIG"]

    def switch(name: str) -> None:
        monkeypatch.setenv("SFNCOMPILE_USERNAME", name)
        home = tmp_path / name
        home.mkdir(exist_ok=True)
        user_config = home / "config.json"
        user_config.write_text(open(config_file).read())
        monkeypatch.setenv("SFNCOMPILE_CONFIG", str(user_config))

    return switch


def test_two_users_deploying_the_same_flow_get_two_state_machines(aws_config, moto_aws, as_user):
    from sfncompile.aws.statemachine import FLOW_TAG

    as_user("alice")
    alice = deploy(FEATURE, config=aws_config)
    as_user("bob")
    bob = deploy(FEATURE, config=aws_config)
    assert (alice.name, bob.name) == ("sfncompile-test-churn-user-alice-FeatureFlow",
                                      "sfncompile-test-churn-user-bob-FeatureFlow")
    sfn = moto_aws.client("stepfunctions")
    machines = {m["name"] for m in sfn.list_state_machines()["stateMachines"]}
    assert {alice.name, bob.name} <= machines
    tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=bob.state_machine_arn)["tags"]}
    assert tags[FLOW_TAG] == "FeatureFlow"
    # Each branch's job definition tells its tasks which branch they run on.
    batch = moto_aws.client("batch")
    [definition] = batch.describe_job_definitions(jobDefinitionName="sfncompile-test-churn-user-bob-FeatureFlow",
                                                  status="ACTIVE")["jobDefinitions"]
    env = {e["name"]: e["value"] for e in definition["containerProperties"]["environment"]}
    assert env["SFNCOMPILE_PROJECT_BRANCH"] == "user.bob"
    test_branch = deploy(FEATURE, config=aws_config, branch="staging")
    assert test_branch.name == "sfncompile-test-churn-test-staging-FeatureFlow"
    assert test_branch.production_token is None


def test_production_needs_the_token_someone_else_generated(aws_config, as_user):
    as_user("alice")
    first = deploy(FEATURE, config=aws_config, production=True)
    assert first.name == "sfncompile-test-churn-prod-FeatureFlow" and first.production_token
    assert deploy(FEATURE, config=aws_config, production=True).production_token is None  # alice keeps a copy
    as_user("bob")
    with pytest.raises(ProductionTokenError) as refused:
        deploy(FEATURE, config=aws_config, production=True)
    assert str(refused.value).splitlines()[0] == (
        "sfncompile-test-churn-prod-FeatureFlow is a production deployment and you do not have its production token")
    with pytest.raises(ProductionTokenError, match="the token given with --authorize is not"):
        deploy(FEATURE, config=aws_config, production=True, authorize="guess")
    assert deploy(FEATURE, config=aws_config, production=True, authorize=first.production_token).name == first.name
    rotated = deploy(FEATURE, config=aws_config, production=True, generate_new_token=True).production_token
    assert rotated and rotated != first.production_token  # bob was authorized, so he may rotate it
    as_user("alice")
    with pytest.raises(ProductionTokenError):  # alice's copy is the old token now
        deploy(FEATURE, config=aws_config, production=True)
    assert deploy(FEATURE, config=aws_config, production=True, authorize=rotated).production_token is None


def test_the_client_shows_each_branchs_runs_separately(aws_config, as_user):
    from sfncompile import Flow, namespace
    from sfncompile.aws.trigger import trigger, wait_for
    from sfncompile.client import backend

    runs = {}
    for user in ("alice", "bob"):
        as_user(user)
        deploy(FEATURE, config=aws_config)
        started = trigger("FeatureFlow", {}, config=aws_config)  # no name: the caller's own branch
        assert wait_for(started, config=aws_config, poll_seconds=0.2, say=lambda _m: None) == "SUCCEEDED"
        runs[user] = started.run_id
    backend.reset()
    namespace("project_branch:user.alice")
    assert [r.id for r in Flow("FeatureFlow").runs()] == [runs["alice"]]
    namespace("project_branch:user.bob")
    assert [r.id for r in Flow("FeatureFlow").runs()] == [runs["bob"]]
    namespace("project:churn")
    assert {r.id for r in Flow("FeatureFlow").runs()} == set(runs.values())
    namespace(None)
    assert [r.id for r in Flow("FeatureFlow").runs("project_branch:user.bob")] == [runs["bob"]]


def test_the_command_line_refuses_production_without_the_token_in_one_line(aws_config_file, aws_subprocess_env,
                                                                            tmp_path):
    import subprocess
    import sys

    def deploy_as(user: str, *extra: str) -> subprocess.CompletedProcess:
        home = tmp_path / user
        home.mkdir(exist_ok=True)
        config = home / "config.json"
        config.write_text(open(aws_config_file).read())
        env = {**aws_subprocess_env, "SFNCOMPILE_USERNAME": user, "SFNCOMPILE_CONFIG": str(config), "PYTHONPATH": ROOT}
        return subprocess.run([sys.executable, "-m", "sfncompile", "deploy", FEATURE, "--production", *extra],
                              capture_output=True, text=True, timeout=240, env=env)

    first = deploy_as("alice")
    assert first.returncode == 0, first.stderr
    token = first.stdout.split("production token of sfncompile-test-churn-prod-FeatureFlow: ", 1)[1].split()[0]
    refused = deploy_as("bob")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[0] == ("not authorized: sfncompile-test-churn-prod-FeatureFlow is a production "
                                              "deployment and you do not have its production token")
    assert "Traceback" not in refused.stderr
    assert deploy_as("bob", "--authorize", token).returncode == 0


def test_the_deployer_takes_a_branch_and_production(aws_config, as_user):
    from sfncompile import Deployer

    as_user("alice")
    staging = Deployer(FEATURE, branch="staging", config=aws_config).deploy()
    assert staging.name == "sfncompile-test-churn-test-staging-FeatureFlow" and staging.production_token is None
    prod = Deployer(FEATURE, production=True, config=aws_config).step_functions().create()
    assert prod.name == "sfncompile-test-churn-prod-FeatureFlow" and prod.production_token
    as_user("bob")
    with pytest.raises(ProductionTokenError):
        Deployer(FEATURE, production=True, config=aws_config).deploy()
    assert Deployer(FEATURE, production=True, config=aws_config).deploy(authorize=prod.production_token).name == prod.name


def test_delete_without_a_name_removes_the_callers_own_branch(aws_config, moto_aws, as_user):
    from sfncompile.aws.executions import delete_deployment
    from sfncompile.exceptions import NotFoundError

    as_user("alice")
    alice = deploy(FEATURE, config=aws_config)
    as_user("bob")
    bob = deploy(FEATURE, config=aws_config)
    as_user("carol")
    with pytest.raises(NotFoundError, match="no deployment on your branch user.carol"):
        delete_deployment("FeatureFlow", config=aws_config)
    as_user("alice")
    assert delete_deployment("FeatureFlow", config=aws_config)["state_machine"] is True
    machines = {m["name"] for m in moto_aws.client("stepfunctions").list_state_machines()["stateMachines"]}
    assert alice.name not in machines and bob.name in machines
