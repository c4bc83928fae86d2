"""Field mappings on QuickBooks Desktop: a FlowLink webhook over HTTP, then a Web Connector
run against the simulated company, with the connection's mapping applied."""

from __future__ import annotations

from typing import Any

from objects.models import FieldMapping, FieldMappingVersion, Notification, Phase, QueuedObject
from objects.tests.flows import ITEM_ACCOUNTS, envelope
from objects.tests.mapping_cases import EachTransformMixin, invoice
from qbsync.test import LiveTestCase
from qbwc.models import Message

# One rule per transform, the element of the InvoiceRet it lands in and the value.
CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "constant": (
        {"target": "ShipMethodRef/FullName", "transform": "constant", "value": "UPS"},
        "ShipMethodRef/FullName",
        "UPS",
    ),
    "template": (
        {"target": "Memo", "transform": "template", "template": "{id} / {channel}"},
        "Memo",
        "INV-1 / amazon",
    ),
    "lookup": (
        {
            "target": "CustomerMsgRef/FullName",
            "transform": "lookup",
            "source": "channel",
            "table": {"amazon": "Thanks", "ebay": "Cheers"},
        },
        "CustomerMsgRef/FullName",
        "Thanks",
    ),
    "date": (
        {
            "target": "ShipDate",
            "transform": "date",
            "source": "shipped_at",
            "input_format": "%d/%m/%Y",
        },
        "ShipDate",
        "2026-12-01",
    ),
    "number": (
        {"target": "Other", "transform": "number", "source": "weight", "places": 3},
        "Other",
        "1.500",
    ),
}


class DesktopMappingFlowTestCase(EachTransformMixin, LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.quickbooks.add_record("ShipMethod", Name="Fedex")  # UPS is there already
        self.quickbooks.add_record("CustomerMsg", Name="Thanks")
        self.mapping = FieldMapping.objects.create(
            connection=self.connection, object_type="invoices", name="Invoices"
        )

    def send(self, payload: dict[str, Any]) -> tuple[int, Any]:
        body = envelope("invoice", payload, quickbooks_auto_create_products="1", **ITEM_ACCOUNTS)
        return self.post("add_invoices", body)

    def assert_lands(self, transform: str) -> None:
        rule, path, expected = CASES[transform]
        self.mapping.add_version([rule])

        status, data = self.send(invoice())
        result = self.run_webconnector()

        self.assertEqual(status, 200, data)
        self.assertTrue(result.completed)
        record = self.quickbooks.find("Invoice", "INV-1")
        self.assertIsNotNone(record)
        self.assertEqual(record.findtext(path), expected)
        self.assertEqual(QueuedObject.objects.get(object_type="invoices").phase, Phase.PROCESSED)

    def test_it_refuses_a_payload_the_mapping_cannot_read_naming_the_field(self) -> None:
        self.mapping.add_version([CASES["template"][0]])

        status, data = self.send(invoice(channel=""))

        self.assertEqual(status, 400)
        self.assertEqual(
            data["summary"], "invoice.channel: is required by the mapping rule for Memo"
        )
        self.assertFalse(QueuedObject.objects.exists())

    def test_it_sends_exactly_what_the_preview_showed(self) -> None:
        version = self.mapping.add_version([rule for rule, _, _ in CASES.values()])
        self.send(invoice())
        obj = QueuedObject.objects.get(object_type="invoices")

        preview = self.mapping.preview(version.rules, obj=obj)
        self.run_webconnector()

        self.assertTrue(preview.startswith("<InvoiceAdd>"), preview)
        sent = [m.request_xml for m in Message.objects.all() if "<InvoiceAddRq" in m.request_xml]
        self.assertEqual(len(sent), 1)
        self.assertIn(preview, sent[0])

    def test_it_builds_with_the_version_the_object_was_queued_with(self) -> None:
        first = self.mapping.add_version([CASES["constant"][0]])
        self.send(invoice())
        fedex = {**CASES["constant"][0], "value": "Fedex"}
        second = self.mapping.add_version([fedex])

        self.run_webconnector()

        obj = QueuedObject.objects.get(object_type="invoices")
        self.assertEqual(obj.mapping_version, first)
        record = self.quickbooks.find("Invoice", "INV-1")
        self.assertEqual(record.findtext("ShipMethodRef/FullName"), "UPS")
        # Re-sent by FlowLink, the object is modified with the version active now.
        self.send(invoice())
        self.run_webconnector()
        obj.refresh_from_db()
        self.assertEqual(obj.mapping_version, second)
        record = self.quickbooks.find("Invoice", "INV-1")
        self.assertEqual(record.findtext("ShipMethodRef/FullName"), "Fedex")

    def test_it_applies_a_customer_mapping_to_the_customer_an_invoice_creates(self) -> None:
        customers = FieldMapping.objects.create(
            connection=self.connection, object_type="customers", name="Customers"
        )
        version: FieldMappingVersion = customers.add_version(
            [{"target": "Notes", "transform": "template", "template": "from {name}"}]
        )

        self.send(invoice())
        self.run_webconnector()

        customer = QueuedObject.objects.get(object_type="customers")
        self.assertEqual(customer.mapping_version, version)
        self.assertEqual(
            self.quickbooks.find("Customer", "Jo Smith").findtext("Notes"), "from Jo Smith"
        )

    def test_it_sets_custom_fields_by_dataext_once_the_record_exists(self) -> None:
        self.mapping.add_version(
            [
                CASES["template"][0],
                {"target": "DataExt:Channel", "transform": "template", "template": "{channel}"},
                {"target": "DataExt:Weight", "transform": "number", "source": "weight"},
            ]
        )

        self.send(invoice())
        result = self.run_webconnector()

        self.assertTrue(result.completed)
        record = self.quickbooks.find("Invoice", "INV-1")
        custom = {
            ext.findtext("DataExtName"): ext.findtext("DataExtValue")
            for ext in record.findall("DataExtRet")
        }
        self.assertEqual(custom, {"Channel": "amazon", "Weight": "1.50"})
        obj = QueuedObject.objects.get(object_type="invoices")
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertNotIn("data_ext_pending", obj.qb_state)
        notices = Notification.objects.filter(object_type="invoices").values_list(
            "message", flat=True
        )
        self.assertEqual(list(notices), ["INV-1: Invoice successfully sent to Quickbooks Desktop"])

    def test_it_sets_a_customer_s_custom_field_by_its_listid(self) -> None:
        customers = FieldMapping.objects.create(
            connection=self.connection, object_type="customers", name="Customers"
        )
        customers.add_version(
            [{"target": "DataExt:Source", "transform": "constant", "value": "FlowLink"}]
        )

        self.send(invoice())
        self.run_webconnector()

        record = self.quickbooks.find("Customer", "Jo Smith")
        self.assertEqual(record.findtext("DataExtRet/DataExtValue"), "FlowLink")
        self.assertEqual(QueuedObject.objects.get(object_type="customers").phase, Phase.PROCESSED)
