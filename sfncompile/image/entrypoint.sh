#!/bin/sh
# Container entrypoint of the sfncompile runtime image.
#
# AWS Batch runs the job definition's command, which starts with the program name
# (`sfncompile task STEP --run-id ...`); `docker run IMAGE task ...` passes only the
# arguments. Both reach the same CLI, and exec keeps it the container's main process
# so Batch's SIGTERM reaches the task directly.
set -eu

if [ "${1:-}" = "sfncompile" ]; then
    shift
fi
exec sfncompile "$@"
