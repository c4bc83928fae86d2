"""Secrets at rest: the alert secret is a Fernet token in the database, keys rotate."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from io import StringIO

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase, override_settings

from connections import alerts, deliveries
from connections.encryption import PREFIX, DecryptionError, EncryptionKeyError, derived_key
from connections.models import AlertDelivery, Connection
from connections.tests.test_alerts import Receiver
from qbsync.test import BaseTestCase

SECRET = "alert-secret-0123456789abcdef"
OLD_KEY = base64.urlsafe_b64encode(b"old field encryption key".ljust(32, b".")).decode()
NEW_KEY = base64.urlsafe_b64encode(b"new field encryption key".ljust(32, b".")).decode()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def stored(pk: int) -> str:
    """The column as the database holds it, past the field."""
    with db.cursor() as cursor:
        cursor.execute("SELECT alert_secret FROM connections_connection WHERE id = %s", [pk])
        value: str = cursor.fetchone()[0]
    return value


def store_plain(pk: int, value: str) -> None:
    """What a row written before the column was encrypted holds."""
    with db.cursor() as cursor:
        cursor.execute(
            "UPDATE connections_connection SET alert_secret = %s WHERE id = %s", [value, pk]
        )


def fernet_plain(key: str, value: str) -> str:
    return Fernet(key).decrypt(value.removeprefix(PREFIX).encode()).decode()


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_encryption_key", *args, stdout=out)
    return out.getvalue()


class EncryptedFieldTestCase(BaseTestCase):
    def test_it_stores_the_alert_secret_as_a_token_not_the_secret(self) -> None:
        self.connection.alert_secret = SECRET
        self.connection.save()

        raw = stored(self.connection.pk)
        self.assertTrue(raw.startswith("fernet:"))
        self.assertNotIn(SECRET, raw)
        self.assertEqual(Connection.objects.get(pk=self.connection.pk).alert_secret, SECRET)

    def test_it_encrypts_a_queryset_update_too(self) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(alert_secret=SECRET)

        self.assertNotIn(SECRET, stored(self.connection.pk))
        self.assertEqual(Connection.objects.get(pk=self.connection.pk).alert_secret, SECRET)
        # values() bypasses the model: it gives the sealed token, never the plain text.
        sealed = Connection.objects.values_list("alert_secret", flat=True).get(
            pk=self.connection.pk
        )
        self.assertEqual(repr(sealed), "<encrypted>")

    def test_it_encrypts_the_same_secret_differently_each_time(self) -> None:
        self.connection.alert_secret = SECRET
        self.connection.save()
        first = stored(self.connection.pk)
        self.connection.save()
        self.assertNotEqual(stored(self.connection.pk), first)

    def test_it_keeps_an_unset_secret_empty_and_queryable(self) -> None:
        self.assertEqual(stored(self.connection.pk), "")
        self.assertTrue(Connection.objects.filter(pk=self.connection.pk, alert_secret="").exists())
        self.assertEqual(Connection.objects.get(pk=self.connection.pk).masked_alert_secret, "")

    def test_it_refuses_lookups_that_could_only_match_nothing(self) -> None:
        with self.assertRaisesMessage(FieldError, "alert_secret is encrypted"):
            Connection.objects.filter(alert_secret=SECRET).exists()
        with self.assertRaises(FieldError):
            Connection.objects.filter(alert_secret__contains="cdef").exists()

    def test_it_reads_a_legacy_plain_value_and_encrypts_it_on_the_next_save(self) -> None:
        store_plain(self.connection.pk, SECRET)

        connection = Connection.objects.get(pk=self.connection.pk)
        self.assertEqual(connection.alert_secret, SECRET)
        self.assertEqual(connection.masked_alert_secret, "set, ending …cdef")
        connection.save()
        self.assertNotIn(SECRET, stored(self.connection.pk))

    def test_it_raises_a_clear_error_when_no_key_decrypts(self) -> None:
        with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
            Connection.objects.filter(pk=self.connection.pk).update(alert_secret=SECRET)
        raw = stored(self.connection.pk)

        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
            connection = Connection.objects.get(pk=self.connection.pk)
            with self.assertRaises(DecryptionError) as caught:
                connection.alert_secret  # noqa: B018 (the read is the test)
        message = str(caught.exception)
        self.assertIn("connections.Connection.alert_secret", message)
        self.assertIn("FIELD_ENCRYPTION_KEYS", message)
        self.assertNotIn(SECRET, message)
        self.assertNotIn(raw.removeprefix(PREFIX), message)

    def test_it_fails_only_what_needs_a_secret_no_key_decrypts(self) -> None:
        with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
            Connection.objects.filter(pk=self.connection.pk).update(
                alert_secret=SECRET,
                alert_url="https://hooks.example.com/q",
                last_contact_at=T0,
            )
        token = stored(self.connection.pk)

        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
            # Loading and saving the connection (Web Connector, webhooks) still works...
            connection = Connection.objects.get(pk=self.connection.pk)
            connection.company_name = "Acme Ltd"
            connection.save()
            self.assertEqual(stored(self.connection.pk), token)
            self.assertIn("no key in FIELD_ENCRYPTION_KEYS", connection.masked_alert_secret)
            self.client.force_login(self.operator)
            page = self.client.get(f"/admin/connections/connection/{connection.pk}/change/")
            self.assertContains(page, "no key in FIELD_ENCRYPTION_KEYS decrypts it")
            # ...and the alert that needs the secret fails with the reason, to be retried.
            [delivery_id] = alerts.check_health(T0 + timedelta(minutes=6))
            self.assertFalse(alerts.deliver(delivery_id, T0 + timedelta(minutes=6)))
        delivery = AlertDelivery.objects.get(pk=delivery_id)
        self.assertEqual(delivery.status, "pending")
        self.assertIn("connections.Connection.alert_secret: no key", delivery.last_error)
        self.assertNotIn(SECRET, delivery.last_error)

    def test_it_derives_the_default_key_from_secret_key(self) -> None:
        with override_settings(FIELD_ENCRYPTION_KEYS=[]):
            Connection.objects.filter(pk=self.connection.pk).update(alert_secret=SECRET)
        raw = stored(self.connection.pk)
        self.assertEqual(fernet_plain(derived_key(settings.SECRET_KEY), raw), SECRET)

        # A new SECRET_KEY alone loses the secrets; listing the old derived key keeps them.
        old_derived = derived_key(settings.SECRET_KEY)
        with override_settings(
            SECRET_KEY="another-secret-key-0123456789", FIELD_ENCRYPTION_KEYS=[]
        ):
            with self.assertRaises(DecryptionError):
                Connection.objects.get(pk=self.connection.pk).alert_secret  # noqa: B018
        with override_settings(
            SECRET_KEY="another-secret-key-0123456789", FIELD_ENCRYPTION_KEYS=[NEW_KEY, old_derived]
        ):
            self.assertEqual(Connection.objects.get(pk=self.connection.pk).alert_secret, SECRET)

    def test_it_refuses_a_malformed_key_without_echoing_it(self) -> None:
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, "not-a-fernet-key"]):
            with self.assertRaises(EncryptionKeyError) as caught:
                Connection.objects.filter(pk=self.connection.pk).update(alert_secret=SECRET)
            self.assertIn("key 2 of 2 is not a Fernet key", str(caught.exception))
            self.assertNotIn("not-a-fernet-key", str(caught.exception))
            with self.assertRaisesMessage(SystemCheckError, "qbsync.E002"):
                call_command("check", stdout=StringIO(), stderr=StringIO())


class KeyRotationTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
            Connection.objects.filter(pk=self.connection.pk).update(alert_secret=SECRET)
        self.old_token = stored(self.connection.pk)

    def test_it_reencrypts_with_the_new_key_after_which_the_old_one_can_go(self) -> None:
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
            # The old key still decrypts until the command has run.
            self.assertEqual(Connection.objects.get(pk=self.connection.pk).alert_secret, SECRET)
            out = rotate()
        self.assertIn("connections.Connection.alert_secret: re-encrypted 1, 0 already", out)

        new_token = stored(self.connection.pk)
        self.assertEqual(fernet_plain(NEW_KEY, new_token), SECRET)
        with self.assertRaises(InvalidToken):
            fernet_plain(OLD_KEY, new_token)
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
            self.assertEqual(Connection.objects.get(pk=self.connection.pk).alert_secret, SECRET)

    def test_it_is_idempotent(self) -> None:
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
            rotate()
            token = stored(self.connection.pk)
            out = rotate()
        self.assertIn("re-encrypted 0, 1 already under the first key", out)
        self.assertEqual(stored(self.connection.pk), token)

    def test_a_dry_run_counts_and_changes_nothing(self) -> None:
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
            out = rotate("--dry-run")
        self.assertIn("would re-encrypt 1, 0 already", out)
        self.assertEqual(stored(self.connection.pk), self.old_token)

    def test_it_encrypts_legacy_plain_values(self) -> None:
        store_plain(self.connection.pk, SECRET)
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
            self.assertIn("re-encrypted 1", rotate())
        self.assertEqual(fernet_plain(NEW_KEY, stored(self.connection.pk)), SECRET)

    def test_it_fails_naming_rows_no_key_decrypts_and_leaves_them(self) -> None:
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
            with self.assertRaisesMessage(
                CommandError, f"connections.Connection.alert_secret (ids {self.connection.pk})"
            ):
                rotate()
        self.assertEqual(stored(self.connection.pk), self.old_token)

    def test_it_prints_a_new_key_and_the_derived_key(self) -> None:
        Fernet(rotate("--generate-key").strip())
        self.assertEqual(rotate("--derived-key").strip(), derived_key(settings.SECRET_KEY))


class SignedAlertsTestCase(BaseTestCase):
    """The receiver checks with the plain secret, however it is stored or rotated."""

    def setUp(self) -> None:
        super().setUp()
        self.receiver = Receiver(failures=0)
        self.receiver.__enter__()
        self.addCleanup(self.receiver.__exit__)

    def assert_alert_verifies(self, now: datetime) -> None:
        [delivery_id] = alerts.check_health(now)
        self.assertTrue(alerts.deliver(delivery_id, now))
        headers, body = self.receiver.received[-1]
        self.assertTrue(deliveries.verify(SECRET, headers["X-Qbsync-Signature"], body, now))

    def test_it_signs_with_the_secret_set_by_create_connection_before_and_after_rotation(
        self,
    ) -> None:
        with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
            call_command(
                "create_connection",
                "acme",
                f"--alert-url={self.receiver.url}",
                f"--alert-secret={SECRET}",
                stdout=StringIO(),
            )
            Connection.objects.filter(pk=self.connection.pk).update(last_contact_at=T0)
            self.assertNotIn(SECRET, stored(self.connection.pk))
            self.assert_alert_verifies(T0 + timedelta(minutes=6))

        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
            rotate()
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
            Connection.objects.filter(pk=self.connection.pk).update(
                last_contact_at=T0 + timedelta(minutes=7)
            )
            alerts.check_health(T0 + timedelta(minutes=8))  # resolves: a recovered alert
            Connection.objects.filter(pk=self.connection.pk).update(last_contact_at=T0)
            self.assert_alert_verifies(T0 + timedelta(minutes=20))
        self.assertGreaterEqual(len(self.receiver.received), 2)


class DataMigrationTestCase(TransactionTestCase):
    """0003 encrypts the alert secrets stored in plain text, and undoes it backwards."""

    BEFORE = [("connections", "0002_alerts_incidents")]
    AFTER = [("connections", "0003_encrypt_alert_secret")]

    def migrate(self, targets: list[tuple[str, str]]) -> MigrationExecutor:
        executor = MigrationExecutor(db)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor

    def migrate_to_latest(self) -> None:
        executor = MigrationExecutor(db)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    def tearDown(self) -> None:
        # Every later migration too: the tests after this one use today's models.
        self.migrate_to_latest()
        super().tearDown()

    def test_it_encrypts_existing_plain_secrets_and_decrypts_them_backwards(self) -> None:
        executor = self.migrate(self.BEFORE)
        old_apps = executor.loader.project_state(self.BEFORE).apps
        OldConnection = old_apps.get_model("connections", "Connection")  # noqa: N806
        legacy = OldConnection.objects.create(
            connection_id="legacy", qbwc_username="legacy-qbd", alert_secret=SECRET
        )
        unset = OldConnection.objects.create(connection_id="unset", qbwc_username="unset-qbd")
        self.assertEqual(stored(legacy.pk), SECRET)

        self.migrate(self.AFTER)

        self.assertTrue(stored(legacy.pk).startswith(PREFIX))
        self.assertNotIn(SECRET, stored(legacy.pk))
        self.assertEqual(stored(unset.pk), "")
        self.migrate_to_latest()
        self.assertEqual(Connection.objects.get(pk=legacy.pk).alert_secret, SECRET)

        self.migrate(self.BEFORE)

        self.assertEqual(stored(legacy.pk), SECRET)
        self.assertEqual(stored(unset.pk), "")
