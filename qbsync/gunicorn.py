"""gunicorn settings for qbsync (`gunicorn -c python:qbsync.gunicorn qbsync.wsgi`).

Used by the Dockerfile, docker-compose.yml and the benchmarks, so they run alike.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# gunicorn's own advice, 2 x cores + 1: a webhook or Web Connector call spends part of
# its time waiting on PostgreSQL, so more sync workers than cores keep the cores busy.
# With 5 workers instead of 3 on 2 cores, 4 senders of 10-order webhooks got about 12%
# more objects/s and a lower p99 (docs/benchmarks.md). WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
