"""Production settings: what a deployment refuses and what `check --deploy` reports.

Settings are read once per process, so each case runs manage.py in a subprocess with
the environment a deployment would give it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import SimpleTestCase

# What docker-compose.yml and .env.example give a production process, minus the secrets.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "qbsync.settings",
    "DEBUG": "false",
    "SECRET_KEY": "p9-Xr2vLq8ZtN4wYc7KjH1sFb6MdG3aU0eRi5oTn-QyWlEpVzCx",
    "ALLOWED_HOSTS": "qbsync.example.com",
    "SITE_ROOT": "https://qbsync.example.com",
    "DATABASE_URL": "postgres://qbsync:qbsync@db.invalid:5432/qbsync",
    "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
}


def manage(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """Run manage.py with only the system's basics, PRODUCTION_ENV and `env` (None unsets)."""
    environment = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    environment.update(PRODUCTION_ENV)
    for key, value in env.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


class SecretKeyTestCase(SimpleTestCase):
    def test_it_refuses_to_start_without_a_secret_key_outside_debug(self) -> None:
        result = manage("check", SECRET_KEY=None)

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ImproperlyConfigured: SECRET_KEY is not set", result.stderr)

    def test_it_refuses_an_empty_secret_key_outside_debug(self) -> None:
        result = manage("check", SECRET_KEY="")

        self.assertIn("SECRET_KEY is not set", result.stderr)

    def test_it_falls_back_to_the_development_key_under_debug(self) -> None:
        result = manage(
            "shell",
            "-v",
            "0",
            "-c",
            "from django.conf import settings; print(settings.SECRET_KEY)",
            SECRET_KEY=None,
            DEBUG="true",
        )

        self.assertEqual(
            (result.returncode, result.stdout.strip()),
            (0, "qbsync-development-key-do-not-use-in-production"),
            result.stderr,
        )


class DeployChecksTestCase(SimpleTestCase):
    def test_it_passes_check_deploy_with_production_settings(self) -> None:
        result = manage("check", "--deploy", "--fail-level", "WARNING")

        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("System check identified no issues", result.stdout)

    def test_it_turns_the_https_protections_on_for_an_https_site(self) -> None:
        result = manage(
            "shell",
            "-v",
            "0",
            "-c",
            "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT,"
            " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)",
        )

        self.assertEqual(result.stdout.split(), ["True", "True", "True", "31536000"], result.stderr)

    def test_it_keeps_plain_http_working_for_a_local_site_root(self) -> None:
        result = manage(
            "shell",
            "-v",
            "0",
            "-c",
            "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)",
            SITE_ROOT="http://localhost:8000",
        )

        self.assertEqual(result.stdout.split(), ["False", "0"], result.stderr)


class OpenApiTestCase(SimpleTestCase):
    def test_it_generates_the_openapi_schema_without_warnings(self) -> None:
        # --fail-on-warn raises on any warning, operationId collisions included.
        target = Path(settings.VAR_DIR) / "openapi-check.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
            schema = target.read_text()
        finally:
            target.unlink(missing_ok=True)

        operation_ids = [
            line.split(":", 1)[1].strip() for line in schema.splitlines() if "operationId:" in line
        ]
        self.assertIn("get_customers", operation_ids)
        self.assertEqual(len(operation_ids), len(set(operation_ids)))
