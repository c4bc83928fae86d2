#!/usr/bin/env bash
# Run the benchmark suite (docs/benchmarks.md) with the project's virtualenv:
#   scripts/bench.sh                 # everything, full sizes
#   scripts/bench.sh intake --quick  # one benchmark, smoke-test sizes
# Needs PostgreSQL on 127.0.0.1:5432 (database "bench", created if missing) and Redis db 14.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m bench "$@"
