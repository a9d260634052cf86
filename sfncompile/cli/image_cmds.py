"""image build / image push: the shared runtime image, built from the installed sfncompile."""
from __future__ import annotations

from typing import Optional

import click


@click.group("image")
def image() -> None:
    """Build and push the runtime image every Batch job runs (needs Docker; no clone of sfncompile)."""


def _tag(tag: Optional[str], config) -> str:
    from ..image.build import DEFAULT_TAG

    return tag or (config or {}).get("image") or DEFAULT_TAG


@image.command("build")
@click.option("--tag", default=None, help="Image tag (default: the configured stage image, else sfncompile-runtime).")
@click.option("--architecture", type=click.Choice(["x86_64", "arm64"]), default=None,
              help="Batch hosts' CPU (default: the config's, else x86_64).")
def build_cmd(tag: Optional[str], architecture: Optional[str]) -> None:
    """Build the runtime image from this installation of sfncompile."""
    from ..aws.config import load_config
    import tempfile

    from ..image.build import build_image

    config = load_config(required=False) or {}
    with tempfile.TemporaryDirectory(prefix="sfncompile-image-") as workdir:
        built = build_image(_tag(tag, config), architecture or config.get("architecture", "x86_64"), workdir,
                            lambda m: click.echo(m, err=True))
    click.echo(f"built {built}")


@image.command("push")
@click.option("--architecture", type=click.Choice(["x86_64", "arm64"]), default=None,
              help="Batch hosts' CPU (default: the config's, else x86_64).")
def push_cmd(architecture: Optional[str]) -> None:
    """Build the runtime image and push it to the stage's ECR repository (deploy then pins its digest)."""
    from ..aws import config as cfg
    from ..aws.images import pin_image
    from ..aws.session import client
    import tempfile

    from ..image.build import build_image, push_image

    config = cfg.load_config()
    tag = _tag(None, config)
    say = lambda m: click.echo(m, err=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="sfncompile-image-") as workdir:
        build_image(tag, architecture or config.get("architecture", "x86_64"), workdir, say)
    ecr = client("ecr", config)
    push_image(ecr, config, tag, say)
    click.echo(f"pushed {pin_image(ecr, tag)}")


COMMANDS = [image]
