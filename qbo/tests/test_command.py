"""`manage.py fake_qbo` serves the double and prints what a connection needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.test import SimpleTestCase

from qbo.tests.helpers import basic, send


class FakeQboCommandTestCase(SimpleTestCase):
    def test_it_serves_the_double_and_prints_a_usable_refresh_token(self) -> None:
        process = subprocess.Popen(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "fake_qbo", "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(process.wait)
        self.addCleanup(process.terminate)
        assert process.stdout is not None
        printed: dict[str, str] = {}
        for line in process.stdout:
            key, _, value = line.strip().partition(": " if ": " in line else "=")
            printed[key] = value
            if key == "refresh token":
                break
        base_url = printed["QBO_API_BASE"]
        self.assertTrue(base_url.startswith("http://127.0.0.1:"))
        answer = send(
            base_url,
            "POST",
            "/oauth2/v1/tokens/bearer",
            urlencode(
                {"grant_type": "refresh_token", "refresh_token": printed["refresh token"]}
            ).encode(),
            Authorization=basic(printed["client id"], printed["client secret"]),
            **{"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.assertEqual(answer.status, 200, answer.raw)
        info = send(
            base_url,
            "GET",
            f"/v3/company/{printed['realm id']}/companyinfo/{printed['realm id']}?minorversion=75",
            Authorization="Bearer " + answer.body["access_token"],
            Accept="application/json",
        )
        self.assertEqual(info.status, 200)
