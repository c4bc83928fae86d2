"""One QBO company in memory: records, id counters, SyncTokens, MetaData, deletion markers.

Balances and quantities QBO derives from other documents (an invoice's Balance, a customer's
Balance, an inventory item's QtyOnHand) are computed when a record is shown, so they are
always consistent with the documents stored.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from qbo.double import faults, rules
from qbo.double.clock import Clock, format_meta_time, parse_offset
from qbo.double.entities import SPECS, EntitySpec, read_only
from qbo.double.faults import QboFault
from qbo.double.ledger import Ledger
from qbo.double.lines import ZERO

Listener = Callable[[str, str, str, str, datetime], None]  # realm, entity, id, operation, at
STARTER_ACCOUNTS = (
    ("Sales of Product Income", "Income"),
    ("Services", "Income"),
    ("Cost of Goods Sold", "Cost of Goods Sold"),
    ("Inventory Asset", "Other Current Asset"),
    ("Undeposited Funds", "Other Current Asset"),
    ("Accounts Receivable (A/R)", "Accounts Receivable"),
    ("Accounts Payable (A/P)", "Accounts Payable"),
    ("Checking", "Bank"),
)


def spec_of(entity: str) -> EntitySpec:
    return SPECS[entity]


def writable(entity: str, body: dict[str, Any]) -> dict[str, Any]:
    fixed = read_only(entity)
    return {k: v for k, v in body.items() if k not in fixed and not k.startswith("_")}


class Company:
    def __init__(
        self, realm_id: str, name: str, clock: Clock, offset: str = "-08:00", starter: bool = True
    ) -> None:
        self.realm_id = realm_id
        self.name = name
        self.clock = clock
        self.offset = parse_offset(offset)
        self.lock = threading.RLock()
        self.records: dict[str, dict[str, dict[str, Any]]] = {e: {} for e in SPECS}
        self.tombstones: dict[str, dict[str, dict[str, Any]]] = {e: {} for e in SPECS}
        self.list_ids: dict[str, int] = defaultdict(int)
        self.txn_id = 0
        self.unique_doc_numbers = False
        self.listeners: list[Listener] = []
        # Batch items do not see what earlier items of the same batch created (spec §8).
        self.hidden: set[tuple[str, str]] = set()
        self.ledger = Ledger()
        self.create("CompanyInfo", self._company_info(), seeding=True)
        if starter:
            for account, kind in STARTER_ACCOUNTS:
                self.create("Account", {"Name": account, "AccountType": kind})
            for method in ("Cash", "Check"):
                self.create("PaymentMethod", {"Name": method})

    def _company_info(self) -> dict[str, Any]:
        return {
            "CompanyName": self.name,
            "LegalName": self.name,
            "CompanyAddr": {"Line1": "123 Sierra Way", "City": "San Pablo", "Country": "USA"},
            "Country": "US",
            "FiscalYearStartMonth": "January",
            "SupportedLanguages": "en",
        }

    # look-ups used by the rules

    def find(self, entity: str, ident: str) -> dict[str, Any] | None:
        if (entity, ident) in self.hidden:
            return None
        return self.records.get(entity, {}).get(ident)

    def live(self, entity: str) -> Iterable[dict[str, Any]]:
        records = self.records.get(entity, {}).values()
        if not self.hidden:
            return records
        return [r for r in records if (entity, r["Id"]) not in self.hidden]

    def applied_to_invoice(self, invoice_id: str, except_payment: str | None) -> Decimal:
        return self.ledger.applied_to(invoice_id, except_payment)

    def item_movement(self, item_id: str) -> Decimal:
        return self.ledger.movement.get(item_id, ZERO)

    # showing records

    def present(self, entity: str, record: dict[str, Any]) -> dict[str, Any]:
        shown = {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}
        if entity == "Invoice":
            shown["Balance"] = record["TotalAmt"] - self.applied_to_invoice(record["Id"], None)
        elif entity == "CreditMemo":
            shown["Balance"] = shown["RemainingCredit"] = record["TotalAmt"]
        elif entity in ("SalesReceipt", "RefundReceipt"):
            shown["Balance"] = ZERO
        elif entity == "Customer":
            balance = self.ledger.customer_balance.get(record["Id"], ZERO)
            shown["Balance"] = shown["BalanceWithJobs"] = balance
        elif entity == "Vendor":
            shown["Balance"] = ZERO
        elif entity == "Item" and "_QtyBase" in record:
            shown["QtyOnHand"] = record["_QtyBase"] - self.item_movement(record["Id"])
        return shown

    def read(self, entity: str, ident: str) -> dict[str, Any]:
        record = self.find(entity, ident)
        if record is None or record.get("Active") is False:
            raise QboFault([faults.not_found(entity, ident)])
        return self.present(entity, record)

    def shown(self, entity: str) -> list[dict[str, Any]]:
        return [self.present(entity, record) for record in self.live(entity)]

    # writes

    def _next_id(self, spec: EntitySpec) -> str:
        if spec.is_list or spec.name == "CompanyInfo":
            self.list_ids[spec.name] += 1
            return str(self.list_ids[spec.name])
        self.txn_id += 1
        return str(self.txn_id)

    def _stamp(self, record: dict[str, Any], created: bool) -> datetime:
        now = self.clock.now().replace(microsecond=0)
        text = format_meta_time(now, self.offset)
        meta = record.setdefault("MetaData", {})
        if created:
            meta["CreateTime"] = text
        meta["LastUpdatedTime"] = text
        record["_updated"] = now
        return now

    def _commit(self, entity: str, record: dict[str, Any], operation: str, created: bool) -> None:
        at = self._stamp(record, created)
        old = self.records[entity].get(record["Id"])
        if old is not None:
            self.ledger.add(entity, old, -1)
        self.ledger.add(entity, record, 1)
        self.records[entity][record["Id"]] = record
        for listener in self.listeners:
            listener(self.realm_id, entity, record["Id"], operation, at)

    def create(self, entity: str, body: dict[str, Any], seeding: bool = False) -> dict[str, Any]:
        spec = spec_of(entity)
        with self.lock:
            if not spec.creatable and not seeding:
                raise faults.unsupported(f"Operation Create is not supported for {entity}.")
            record = copy.deepcopy(writable(entity, body))
            rules.prepare(self, spec, record)
            record.update({"Id": self._next_id(spec), "SyncToken": "0", "domain": "QBO"})
            record["sparse"] = False
            self._commit(entity, record, "Create", created=True)
            return self.present(entity, record)

    def _current(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        ident = str(body.get("Id") or "")
        existing = self.find(entity, ident)
        if existing is None:
            raise QboFault([faults.not_found(entity, ident)])
        if body.get("SyncToken") in (None, ""):
            raise QboFault([faults.required("SyncToken")])
        if str(body["SyncToken"]) != existing["SyncToken"]:
            raise faults.stale(entity)
        return existing

    def update(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        spec = spec_of(entity)
        with self.lock:
            existing = self._current(entity, body)
            fixed = read_only(entity)
            kept = {k: v for k, v in existing.items() if k in fixed or k.startswith("_")}
            if body.get("sparse") is True:
                record = copy.deepcopy(existing)
                record.update(copy.deepcopy(writable(entity, body)))
            else:
                # A full update clears every writable field the caller left out.
                record = {**copy.deepcopy(kept), **copy.deepcopy(writable(entity, body))}
            if entity == "Item" and "QtyOnHand" not in body and "_QtyBase" in existing:
                record["QtyOnHand"] = self.present(entity, existing)["QtyOnHand"]
            rules.prepare(self, spec, record)
            record["SyncToken"] = str(int(existing["SyncToken"]) + 1)
            record["sparse"] = False
            self._commit(entity, record, "Update", created=False)
            return self.present(entity, record)

    def delete(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        spec = spec_of(entity)
        with self.lock:
            if spec.is_list or not spec.creatable:
                raise faults.unsupported(
                    f"Operation Delete is not supported for {entity}; set Active to false."
                )
            existing = self._current(entity, body)
            del self.records[entity][existing["Id"]]
            self.ledger.add(entity, existing, -1)
            marker = {"domain": "QBO", "status": "Deleted", "Id": existing["Id"]}
            at = self._stamp(marker, created=False)
            self.tombstones[entity][existing["Id"]] = marker
            for listener in self.listeners:
                listener(self.realm_id, entity, existing["Id"], "Delete", at)
            return {k: v for k, v in marker.items() if k != "MetaData" and k[0] != "_"}

    def void(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            existing = self._current(entity, body)
            record = copy.deepcopy(existing)
            for line in record.get("Line") or []:
                line["Amount"] = ZERO
                for key, detail in line.items():
                    if key.endswith("LineDetail") and isinstance(detail, dict) and "Qty" in detail:
                        detail["Qty"] = ZERO
            if isinstance(record.get("TxnTaxDetail"), dict):
                record["TxnTaxDetail"]["TotalTax"] = ZERO
            record["TotalAmt"] = ZERO
            if entity == "Payment":
                record["UnappliedAmt"] = ZERO
            record["PrivateNote"] = "Voided"
            record["SyncToken"] = str(int(existing["SyncToken"]) + 1)
            self._commit(entity, record, "Void", created=False)
            return self.present(entity, record)

    def email(self, entity: str, ident: str, address: str) -> dict[str, Any]:
        """Mark a document as e-mailed (`POST /<entity>/<id>/send`); nothing is sent."""
        with self.lock:
            existing = self.find(entity, ident)
            if existing is None:
                raise QboFault([faults.not_found(entity, ident)])
            record = copy.deepcopy(existing)
            address = address or str((record.get("BillEmail") or {}).get("Address") or "")
            if not address:
                raise QboFault([faults.required("BillEmail")])
            record["BillEmail"] = {"Address": address}
            record["EmailStatus"] = "EmailSent"
            when = format_meta_time(self.clock.now(), self.offset)
            record["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": when}
            record["SyncToken"] = str(int(existing["SyncToken"]) + 1)
            self._commit(entity, record, "Emailed", created=False)
            return self.present(entity, record)

    def changed_since(self, entity: str, since: datetime) -> list[dict[str, Any]]:
        """Latest state of everything changed at or after `since`, deletion markers included."""
        found: list[tuple[datetime, dict[str, Any]]] = []
        for record in self.live(entity):
            if record["_updated"] >= since:
                found.append((record["_updated"], self.present(entity, record)))
        for marker in self.tombstones[entity].values():
            if marker["_updated"] >= since:
                found.append((marker["_updated"], {k: v for k, v in marker.items() if k[0] != "_"}))
        return [shown for _, shown in sorted(found, key=lambda pair: pair[0])]
