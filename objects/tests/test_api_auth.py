"""Who may call the operations API: bearer keys of the URL's connection, scoped."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from connections.api_keys import KEY_PREFIX, USED_AT_RESOLUTION, find_key
from connections.models import ApiKey
from connections.passwords import fast_digest
from objects.tests.api_client import call
from qbsync.test import BaseTestCase, LiveTestCase, make_connection


class ApiAuthTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.read_key, self.read = ApiKey.issue(self.connection, ApiKey.Scope.READ)
        self.other = make_connection("globex", qbwc_username="globex-qbd")
        _key, self.other_key = ApiKey.issue(self.other, ApiKey.Scope.WRITE)

    def get(self, key: str | None, store: str = "acme", **kwargs: str) -> tuple[int, object]:
        answer = call(self.live_server_url, f"{store}/Customer", key, **kwargs)  # type: ignore[arg-type]
        return answer.status, answer.body

    def test_it_answers_a_key_of_the_connection(self) -> None:
        status, body = self.get(self.read)

        self.assertEqual(status, 202, body)

    def test_it_asks_for_a_key_when_none_is_sent(self) -> None:
        answer = call(self.live_server_url, "acme/Customer", None)

        self.assertEqual(answer.status, 401)
        self.assertEqual(answer.headers["WWW-Authenticate"], 'Bearer realm="qbsync"')

    def test_it_refuses_a_wrong_key(self) -> None:
        wrong_secret = self.read[:-4] + "AAAA"
        for key in (wrong_secret, KEY_PREFIX + "0" * 12 + "_x", "not-a-key"):
            with self.subTest(key=key):
                self.assertEqual(self.get(key)[0], 401)

    def test_it_refuses_another_scheme(self) -> None:
        answer = call(self.live_server_url, "acme/Customer", None, authorization="Basic eDp5")

        self.assertEqual(answer.status, 401)

    def test_it_refuses_a_revoked_key(self) -> None:
        self.assertTrue(self.read_key.revoke())

        self.assertEqual(self.get(self.read)[0], 401)
        self.assertFalse(self.read_key.revoke())

    def test_it_answers_a_key_of_another_connection_as_if_the_connection_did_not_exist(
        self,
    ) -> None:
        at_acme = self.get(self.other_key, store="acme")
        nowhere = self.get(self.other_key, store="nobody")

        self.assertEqual(at_acme, nowhere)
        self.assertEqual(at_acme[0], 404)

    def test_it_refuses_writing_with_a_read_only_key(self) -> None:
        answer = call(self.live_server_url, "acme/Customer", self.read, method="POST")

        self.assertEqual(answer.status, 403)
        self.assertIn("read-only", str(answer.body))

    def test_it_records_when_a_key_was_last_used(self) -> None:
        self.get(self.read)

        self.read_key.refresh_from_db()
        self.assertIsNotNone(self.read_key.last_used_at)

    def test_it_hides_operations_of_other_connections(self) -> None:
        url = call(self.live_server_url, "acme/Customer", self.read).body["operation"]["url"]
        foreign = url.replace("/acme/", "/globex/")

        self.assertEqual(call(self.live_server_url, url, self.other_key).status, 404)
        self.assertEqual(call(self.live_server_url, foreign, self.other_key).status, 404)


class ApiKeyTestCase(BaseTestCase):
    def test_it_stores_only_a_hash_of_the_secret(self) -> None:
        key, raw = ApiKey.issue(self.connection, ApiKey.Scope.WRITE)

        # The secret may hold "_" itself (URL-safe base64): it is all after the public id.
        secret = raw[len(f"{KEY_PREFIX}{key.public_id}_") :]
        self.assertTrue(raw.startswith(f"{KEY_PREFIX}{key.public_id}_"))
        self.assertGreaterEqual(len(secret), 43)
        self.assertNotIn(secret, key.secret_hash)
        self.assertEqual(find_key(raw), key)

    def test_it_writes_last_used_at_at_most_once_a_minute(self) -> None:
        key, _raw = ApiKey.issue(self.connection, ApiKey.Scope.READ)
        now = timezone.now()
        key.mark_used(now)

        key.mark_used(now + USED_AT_RESOLUTION - timedelta(seconds=1))
        key.refresh_from_db()

        self.assertEqual(key.last_used_at, now)

    def test_it_refuses_an_unknown_scope(self) -> None:
        with self.assertRaises(ValueError):
            ApiKey.issue(self.connection, "admin")

    def test_it_issues_a_key_from_the_command_and_prints_it_once(self) -> None:
        out = StringIO()
        call_command("create_api_key", "acme", "--scope", "write", stdout=out)

        raw = out.getvalue().strip().splitlines()[-1]
        key = find_key(raw)
        assert key is not None
        self.assertEqual((key.connection, key.scope), (self.connection, "write"))

    def test_it_revokes_a_key_from_the_command(self) -> None:
        key, raw = ApiKey.issue(self.connection, ApiKey.Scope.READ)

        call_command("create_api_key", "acme", "--revoke", key.public_id, stdout=StringIO())

        self.assertIsNone(find_key(raw))
        with self.assertRaises(CommandError):
            call_command("create_api_key", "acme", "--revoke", key.public_id, stdout=StringIO())

    def test_it_finds_a_key_whose_secret_holds_underscores(self) -> None:
        key, raw = ApiKey.issue(self.connection, ApiKey.Scope.READ)
        prefix = f"{KEY_PREFIX}{key.public_id}_"
        secret = "a_b_" + "x" * 40
        key.secret_hash = fast_digest(secret, key.salt)
        key.save()

        self.assertEqual(find_key(prefix + secret), key)
        self.assertIsNone(find_key(raw))
