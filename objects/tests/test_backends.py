"""The per-backend interface: what intake asks of a connection's backend."""

from __future__ import annotations

from django.test import SimpleTestCase, TestCase

from objects.backends import backend_for, backend_named
from qbsync.test import make_connection
from qbwc.qbxml.values import PayloadError


class BackendRegistryTestCase(TestCase):
    def test_it_finds_the_desktop_backend_the_qbwc_app_registered(self) -> None:
        connection = make_connection()

        backend = backend_for(connection)

        self.assertEqual(backend.name, "desktop")

    def test_it_names_a_backend_nobody_registered(self) -> None:
        with self.assertRaisesMessage(LookupError, "no backend 'online' is registered"):
            backend_named("online")


class DesktopBackendTestCase(SimpleTestCase):
    def test_it_refuses_a_customer_no_request_can_be_built_for_naming_the_field(self) -> None:
        desktop = backend_named("desktop")

        desktop.validate("customers", {"id": "c-1", "name": "Ada"}, {})
        with self.assertRaises(PayloadError) as caught:
            desktop.validate("customers", {"id": "c-1"}, {})

        self.assertEqual(caught.exception.field, "name")

    def test_it_ignores_an_id_that_cannot_be_a_quickbooks_id(self) -> None:
        desktop = backend_named("desktop")

        self.assertEqual(
            desktop.known_id("customers", {"qbe_id": "80000001-1234567890"}), "80000001-1234567890"
        )
        self.assertEqual(desktop.known_id("customers", {"qbe_id": "9" * 37}), "")
