#!/usr/bin/env bash
# Run qbsync on this machine with embedded defaults (SQLite, a filesystem broker,
# a Celery worker with beat alongside, the local QuickBooks Online double and a
# `demo-qbo` connection to it). With arguments, run `docker compose` with them:
#   scripts/run_local.sh            # everything locally, no Docker/Postgres/Redis needed
#   scripts/run_local.sh up --build # the full stack in containers
# QBO_DOUBLE=false leaves the double out (QBO_CLIENT_ID/QBO_CLIENT_SECRET: a real Intuit
# app); QBO_DOUBLE_PORT chooses its port (8001, or a free one when 8001 is taken).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  exec docker compose "$@"
fi

PYTHON="${PYTHON:-python3}"
PORT="${PORT:-8000}"
QBO_DOUBLE="${QBO_DOUBLE:-true}"
QBO_DOUBLE_PORT="${QBO_DOUBLE_PORT:-8001}"
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

children=()
stop_children() {
  for pid in "${children[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
}
trap stop_children EXIT INT TERM

# The double prints its URLs, OAuth client, realm and a refresh token, then serves until
# stopped; its company lives in memory, so demo-qbo is re-imported on every start.
start_double() {
  .venv/bin/python manage.py fake_qbo --port "$1" >var/fake_qbo.log 2>&1 &
  double=$!
  children+=("$double")
  for _ in $(seq 1 100); do
    if grep -q '^refresh token: ' var/fake_qbo.log; then
      return 0
    fi
    if ! kill -0 "$double" 2>/dev/null; then
      return 1
    fi
    sleep 0.1
  done
  return 1
}
double_says() { sed -n "s/^$1//p" var/fake_qbo.log; }

if [ "$QBO_DOUBLE" = "true" ]; then
  if ! start_double "$QBO_DOUBLE_PORT"; then
    if [ "$QBO_DOUBLE_PORT" = "0" ] || ! start_double 0; then
      cat var/fake_qbo.log >&2
      echo "The QuickBooks Online double did not start (log: var/fake_qbo.log)" >&2
      exit 1
    fi
  fi
  # The web process and the worker both call QuickBooks Online: both get the double.
  export QBO_API_BASE="$(double_says 'QBO_API_BASE=')"
  export QBO_TOKEN_URL="$(double_says 'QBO_TOKEN_URL=')"
  export QBO_AUTHORIZE_URL="$(double_says 'QBO_AUTHORIZE_URL=')"
  export QBO_REVOKE_URL="$(double_says 'QBO_REVOKE_URL=')"
  export QBO_CLIENT_ID="$(double_says 'client id: ')"
  export QBO_CLIENT_SECRET="$(double_says 'client secret: ')"
  double_url="$(double_says 'Fake QuickBooks Online serving on ')"
  realm="$(double_says 'realm id: ')"
  # Arguments, not output: create_connection never prints a secret.
  .venv/bin/python manage.py create_connection demo-qbo --backend qbo \
    --qbo-realm-id "$realm" --qbo-client-id "$QBO_CLIENT_ID" \
    --qbo-client-secret "$QBO_CLIENT_SECRET" \
    --qbo-refresh-token "$(double_says 'refresh token: ')" \
    --webhook-token demo-qbo-token
  echo "QuickBooks Online double at ${double_url} (realm ${realm}, log: var/fake_qbo.log)"
  echo "Connect to QuickBooks from the admin at ${SITE_ROOT}/admin/ (the callback returns to SITE_ROOT)"
  echo "Send demo-qbo an order; the worker pushes it to the double as a SalesReceipt:"
  echo "  curl -s http://127.0.0.1:${PORT}/add_orders -H 'Content-Type: application/json' \\"
  echo "    -H 'X-Hub-Store: demo-qbo' -H 'X-Hub-Token: demo-qbo-token' \\"
  echo "    -d '{\"request_id\": \"qbo-1\", \"parameters\": {\"quickbooks_auto_create_products\": \"1\"}, \"order\": {\"id\": \"R2001\", \"customer\": {\"name\": \"Jo Smith\"}, \"line_items\": [{\"product_id\": \"TEE-1\", \"name\": \"T-Shirt\", \"quantity\": 2, \"price\": 10}]}}'"
fi

.venv/bin/celery -A qbsync worker --beat --pool=solo --loglevel=INFO \
  --schedule "var/celerybeat-schedule" >var/celery.log 2>&1 &
children+=("$!")
echo "Celery worker and beat running (log: var/celery.log)"
echo "qbsync at http://127.0.0.1:${PORT}/  (admin: /admin/, Web Connector: /qbwc/, OpenAPI: /api/schema/)"
.venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
