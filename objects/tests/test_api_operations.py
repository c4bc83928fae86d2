"""Operation rows: their state changes, retention, and the admin of API keys."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from connections.models import ApiKey
from objects.api.queries import ApiError, parse_query
from objects.models import Operation
from qbsync.test import BaseTestCase
from qbwc.tasks import purge_old_records


class OperationTestCase(BaseTestCase):
    def make_operation(self) -> Operation:
        query = parse_query("Customer", {"display_name": "Amy"})
        return Operation.objects.create(
            connection=self.connection, kind="query", entity="Customer", query=query.as_json()
        )

    def test_it_changes_state_once_with_one_history_row(self) -> None:
        operation = self.make_operation()
        now = timezone.now()

        self.assertTrue(operation.claim("session-1", now))
        self.assertTrue(operation.finish({"records": []}, now))
        self.assertFalse(operation.fail(ApiError(502, "late").as_json(), now))

        self.assertEqual(
            list(operation.events.values_list("from_state", "to_state")),
            [("pending", "sent"), ("sent", "done")],
        )

    def test_it_is_sent_again_by_another_session_when_its_own_ended_unanswered(self) -> None:
        operation = self.make_operation()
        operation.claim("session-1", timezone.now())

        due_here = Operation.objects.due_for(self.connection, "session-1")
        due_later = Operation.objects.due_for(self.connection, "session-2")

        self.assertFalse(due_here.exists())
        self.assertEqual(list(due_later), [operation])
        self.assertTrue(operation.claim("session-2", timezone.now()))

    def test_it_keeps_a_result_until_fetched_then_purges_it_after_the_retention_period(
        self,
    ) -> None:
        fetched, unfetched = self.make_operation(), self.make_operation()
        long_ago = timezone.now() - timedelta(days=400)
        for operation in (fetched, unfetched):
            operation.claim("s", long_ago)
            operation.finish({"records": []}, long_ago)
        fetched.mark_fetched(long_ago)

        counts = purge_old_records()

        self.assertEqual(counts["operations"], 1)
        self.assertEqual(list(Operation.objects.all()), [unfetched])


class ApiKeyAdminTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client.force_login(self.operator)

    def test_it_shows_a_new_key_once_and_stores_its_hash(self) -> None:
        response = self.client.post(
            reverse("admin:connections_apikey_add"),
            {"connection": self.connection.pk, "scope": "write", "label": "ERP"},
            follow=True,
        )

        key = ApiKey.objects.get()
        shown = [str(m) for m in response.context["messages"]]
        self.assertTrue(any(f"qbs_{key.public_id}_" in m for m in shown), shown)
        self.assertEqual((key.scope, key.label), ("write", "ERP"))

    def test_it_rotates_a_key_revoking_the_old_one(self) -> None:
        old, _raw = ApiKey.issue(self.connection, ApiKey.Scope.READ, "ERP")

        self.client.post(
            reverse("admin:connections_apikey_changelist"),
            {"action": "rotate_selected", "_selected_action": [old.pk]},
        )

        old.refresh_from_db()
        new = ApiKey.objects.exclude(pk=old.pk).get()
        self.assertIsNotNone(old.revoked_at)
        self.assertEqual((new.scope, new.label, new.revoked_at), ("read", "ERP", None))


class OperationAdminTestCase(BaseTestCase):
    def test_it_shows_an_operation_with_its_history(self) -> None:
        self.client.force_login(self.operator)
        operation = Operation.objects.create(
            connection=self.connection, kind="query", entity="Customer", query={}
        )
        operation.claim("session-1", timezone.now())

        listing = self.client.get(reverse("admin:objects_operation_changelist"))
        page = self.client.get(reverse("admin:objects_operation_change", args=[operation.pk]))

        self.assertContains(listing, str(operation.public_id))
        self.assertContains(page, "session-1")
