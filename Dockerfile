# The runtime image every sfncompile Batch job runs: Python, the pinned runtime
# dependencies, the sfncompile wheel and, optionally, a flow's own requirements.
#
#   rm -rf dist && python -m build --wheel      # the wheel this image installs
#   docker build -t sfncompile-runtime .
#
# Extra packages for your flows: put them in requirements-user.txt at the repository
# root (pinned, ideally); the build installs it when present, constrained by the
# runtime pins so user packages cannot move sfncompile's own dependencies.
ARG PYTHON_VERSION=3.11.13
FROM python:${PYTHON_VERSION}-slim-bookworm

LABEL org.opencontainers.image.title="sfncompile-runtime" \
      org.opencontainers.image.description="Runs sfncompile flow steps as AWS Batch jobs"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# uid 1000 matches the job definition's `user`, so files the task writes are its own.
RUN groupadd --gid 1000 sfncompile \
 && useradd --uid 1000 --gid 1000 --create-home --home-dir /home/sfncompile --shell /usr/sbin/nologin sfncompile

# Dependencies first: they change rarely, so their layer is reused across sfncompile builds.
COPY runtime_image/requirements.txt requirements-user.tx[t] /opt/sfncompile/
RUN pip install --no-cache-dir -r /opt/sfncompile/requirements.txt \
 && if [ -f /opt/sfncompile/requirements-user.txt ]; then \
        pip install --no-cache-dir -c /opt/sfncompile/requirements.txt -r /opt/sfncompile/requirements-user.txt; \
    fi

# Dependencies are already pinned above, so the wheel goes in alone.
COPY dist/sfncompile-*.whl /opt/sfncompile/dist/
RUN pip install --no-cache-dir --no-deps /opt/sfncompile/dist/sfncompile-*.whl \
 && sfncompile --version

COPY --chmod=0755 runtime_image/entrypoint.sh /usr/local/bin/sfncompile-entrypoint

USER 1000:1000
WORKDIR /home/sfncompile
ENTRYPOINT ["/usr/local/bin/sfncompile-entrypoint"]
CMD ["--help"]
