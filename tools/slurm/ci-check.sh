#!/usr/bin/env bash
# CI check of the Slurm path, on its own: starts a private single-node cluster (tools/slurm/start-cluster.sh, root,
# Debian's packages, its own munge key, port 6917, state in a temp folder), submits a small sharded build as array
# jobs (index -> build -> merge, afterok), waits, compares the result byte for byte with a local run, and stops the
# daemons by their pids. The same test also runs inside `dotnet test EntropyLong.slnx`.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet test tests/EntropyLong.Scale.Tests --filter "FullyQualifiedName~EntropyLong.Scale.Tests.SlurmTests" --logger "console;verbosity=normal"
