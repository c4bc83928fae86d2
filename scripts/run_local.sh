#!/usr/bin/env bash
# Run qbsync on this machine with embedded defaults (SQLite, a filesystem broker,
# a Celery worker with beat alongside). With arguments, run `docker compose` with them:
#   scripts/run_local.sh            # everything locally, no Docker/Postgres/Redis needed
#   scripts/run_local.sh up --build # the full stack in containers
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  exec docker compose "$@"
fi

PYTHON="${PYTHON:-python3}"
PORT="${PORT:-8000}"
export DEBUG="${DEBUG:-true}"
export SITE_ROOT="${SITE_ROOT:-http://localhost:${PORT}}"

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Reinstall only when requirements.txt changed since the last run.
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -r requirements.txt
  echo "$want" > "$stamp"
fi

mkdir -p var/broker/queue var/broker/processed var/broker/control
.venv/bin/python manage.py migrate --noinput

# A ready-to-try connection and admin user on an empty local database.
.venv/bin/python manage.py shell -c '
from django.contrib.auth import get_user_model
from connections.models import Connection
User = get_user_model()
if not User.objects.filter(is_superuser=True).exists():
    User.objects.create_superuser("admin", "", "admin")
    print("Admin user: admin / admin  (local only; change it)")
if not Connection.objects.exists():
    c = Connection(connection_id="demo", qbwc_username="demo-qbwc")
    c.set_qbwc_password("demo-password")
    c.set_webhook_token("demo-token")
    c.save()
    print("Demo connection: X-Hub-Store demo, X-Hub-Token demo-token, Web Connector demo-qbwc / demo-password")
'

.venv/bin/celery -A qbsync worker --beat --pool=solo --loglevel=INFO \
  --schedule "var/celerybeat-schedule" >var/celery.log 2>&1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
echo "Celery worker and beat running (log: var/celery.log)"
echo "qbsync at http://127.0.0.1:${PORT}/  (admin: /admin/, Web Connector: /qbwc/, OpenAPI: /api/schema/)"
.venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
