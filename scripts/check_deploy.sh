#!/usr/bin/env bash
# Prove the production image's dependencies and settings start: a virtualenv built from
# requirements.txt alone (nothing from requirements-dev.txt), production-like settings,
# then the worker and beat commands of docker-compose.yml against Redis and PostgreSQL,
# and the Dockerfile's gunicorn.
# A module missing from requirements.txt (as `packaging` once was) fails here, not in a
# deployment. Called by .ci/run; runs alone too:
#   scripts/check_deploy.sh
# Environment: CHECK_DEPLOY_VENV [/tmp/qbsync-prodvenv], CHECK_DEPLOY_DATABASE_URL
# [postgres://postgres@127.0.0.1:5432/postgres], CHECK_DEPLOY_BROKER_URL
# [redis://127.0.0.1:6379/13], CHECK_DEPLOY_TIMEOUT seconds [60].
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${CHECK_DEPLOY_VENV:-/tmp/qbsync-prodvenv}"
TIMEOUT="${CHECK_DEPLOY_TIMEOUT:-60}"
PYTHON="${PYTHON:-python3}"

# Rebuild the virtualenv only when requirements.txt (or the Python) changed; a fresh
# build every run would cost most of the step's time.
want=$( (cat requirements.txt; "$PYTHON" --version) | sha256sum | cut -d' ' -f1)
if [ ! -f "$VENV/.requirements.sha256" ] || [ "$(cat "$VENV/.requirements.sha256")" != "$want" ]; then
  echo "building $VENV from requirements.txt alone"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet -r requirements.txt
  echo "$want" > "$VENV/.requirements.sha256"
fi

work=$(mktemp -d /tmp/qbsync-check-deploy.XXXXXX)
node="check-deploy-$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Production-like settings: DEBUG off, a real key, an https site, Redis and PostgreSQL.
# A queue of its own keeps beat's first ticks away from any other worker on this Redis.
export DJANGO_SETTINGS_MODULE=qbsync.settings
export DEBUG=false
export SECRET_KEY="check-deploy-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ALLOWED_HOSTS=qbsync.example.com
export SITE_ROOT=https://qbsync.example.com
export DATABASE_URL="${CHECK_DEPLOY_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export CELERY_BROKER_URL="${CHECK_DEPLOY_BROKER_URL:-redis://127.0.0.1:6379/13}"
export CELERY_TASK_DEFAULT_QUEUE="$node"
export VAR_DIR="$work/var"
export PATH="$VENV/bin:$PATH"
mkdir -p "$VAR_DIR"

# The commands exactly as docker-compose.yml runs them (PyYAML comes with drf-spectacular).
compose_command() {
  python -c 'import sys, yaml; print(yaml.safe_load(open("docker-compose.yml"))["services"][sys.argv[1]]["command"])' "$1"
}
worker_command=$(compose_command worker)
beat_command=$(compose_command beat)

fail() {
  echo "check_deploy: $1" >&2
  shift
  for log in "$@"; do echo "--- $log" >&2; tail -n 40 "$log" >&2 || true; done
  exit 1
}

echo "== manage.py check --deploy (production settings, requirements.txt only)"
python manage.py check --deploy --fail-level WARNING
# psycopg from requirements.txt reaches PostgreSQL (nothing is written).
python manage.py shell -v 0 -c "from django.db import connection; connection.ensure_connection()"

echo "== worker: $worker_command"
# A node name of its own, so the ping below hears this worker and no other.
$worker_command --hostname "$node@check" >"$work/worker.log" 2>&1 &
pids+=($!)
worker=$!
deadline=$((SECONDS + TIMEOUT))
until celery -A qbsync inspect ping --destination "$node@check" --timeout 2 >"$work/ping.log" 2>&1; do
  kill -0 "$worker" 2>/dev/null || fail "the worker exited at start" "$work/worker.log"
  [ "$SECONDS" -lt "$deadline" ] || fail "the worker did not answer a ping within ${TIMEOUT}s" "$work/worker.log" "$work/ping.log"
  sleep 1
done
grep -q "ready\." "$work/worker.log" || fail "the worker answered but never logged ready" "$work/worker.log"
echo "worker answered ping: $(grep -o 'pong' "$work/ping.log" | head -1)"
kill -TERM "$worker"
wait "$worker" || true

echo "== beat: $beat_command"
# Beat's schedule file goes to this run's folder, not the compose path shared by all runs;
# a 1-second tick makes its first due task go out (over Redis) within the wait below.
PERIODIC_TASK_SECONDS=1 $beat_command --schedule "$work/celerybeat-schedule" >"$work/beat.log" 2>&1 &
pids+=($!)
beat=$!
deadline=$((SECONDS + TIMEOUT))
until grep -qs "beat: Starting" "$work/beat.log"; do
  kill -0 "$beat" 2>/dev/null || fail "beat exited at start" "$work/beat.log"
  [ "$SECONDS" -lt "$deadline" ] || fail "beat did not log that it started within ${TIMEOUT}s" "$work/beat.log"
  sleep 1
done
# Starting is logged before the scheduler loads its schedule and connects to the broker;
# a due task sent shows it did both, and a few seconds more that it stays up.
until grep -q "Sending due task" "$work/beat.log"; do
  kill -0 "$beat" 2>/dev/null || fail "beat exited after starting" "$work/beat.log"
  [ "$SECONDS" -lt "$deadline" ] || fail "beat sent no due task within ${TIMEOUT}s" "$work/beat.log"
  sleep 1
done
sleep 3
kill -0 "$beat" 2>/dev/null || fail "beat died after sending its first tasks" "$work/beat.log"
kill -TERM "$beat"
wait "$beat" || true

echo "== web: the Dockerfile's gunicorn"
port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
GUNICORN_BIND="127.0.0.1:$port" WEB_CONCURRENCY=1 \
  gunicorn -c python:qbsync.gunicorn qbsync.wsgi:application >"$work/web.log" 2>&1 &
pids+=($!)
web=$!
deadline=$((SECONDS + TIMEOUT))
# The liveness page answers over plain http (a load balancer's probe); everything else
# is redirected to https, as an https SITE_ROOT asks.
until [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: qbsync.example.com' "http://127.0.0.1:$port/")" = 200 ]; do
  kill -0 "$web" 2>/dev/null || fail "gunicorn exited at start" "$work/web.log"
  [ "$SECONDS" -lt "$deadline" ] || fail "gunicorn did not answer within ${TIMEOUT}s" "$work/web.log"
  sleep 1
done
redirect=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: qbsync.example.com' "http://127.0.0.1:$port/qbwc/")
[ "$redirect" = "301 https://qbsync.example.com/qbwc/" ] || fail "plain http was not redirected to https: $redirect" "$work/web.log"
echo "web answered; plain http redirected to https"
kill -TERM "$web"
wait "$web" || true

# Beat's first ticks wait in this run's queue; drop it and kombu's bindings for it (every
# key naming this run's queue, which no other run shares).
python - <<'EOF'
import os

import redis

client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
queue = os.environ["CELERY_TASK_DEFAULT_QUEUE"]
keys = [queue, *client.scan_iter(match=f"_kombu.binding*.{queue}")]
client.delete(*keys)
EOF
echo "check_deploy: worker, beat and web start from requirements.txt alone"
