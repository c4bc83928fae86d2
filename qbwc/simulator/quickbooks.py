"""An in-memory QuickBooks Desktop company that answers qbXML messages.

The fake Web Connector hands every message our server returns from `sendRequestXML`
to `FakeQuickBooks.process` and sends the result back through `receiveResponseXML`
(qbwc-protocol.md §12 point 5). Behaviour follows qbxml.md and the real responses in
`shared/qbxml-samples/responses`; the seeded company is described in `qb_company`.

Choices where QuickBooks' exact behaviour is not documented:

* Skipped requests after an error under `stopOnError` answer 3231 / Error / "The
  request has not been processed."; `rollbackOnError` behaves like `stopOnError`
  (nothing is rolled back, as peers never rely on it).
* A request type the simulator does not implement (reports, payroll, TransactionQuery,
  …) answers 3250 "This feature is not enabled or not available in this
  version of QuickBooks." with a note naming the request — QuickBooks would have run it,
  so the status must read as "not available here", never as a data error like 3100.
* A message declaring a qbXML version above `max_qbxml_version` is rejected with
  0x80040423. With `xsd_dir`, 13.0/14.0 and older validate against v130, 15.0/16.0
  against v160.
* Statuses injected with `inject_status` short-circuit the request when they are errors
  (>= 1000: nothing is created); warnings and infos (530, …) let the request run and then
  replace its status, so the record is still returned as QuickBooks does for 530.
* Not found: by ListID/TxnID 3120, by FullName 500 (with whatever was found), by
  RefNumber or a filter 1. Deleting a list record that is referenced anywhere answers 3170
  (text unverified). Overpaying an invoice answers 3210 with the real text.

Not simulated: message-set error recovery (newMessageSetID/oldMessageSetID), rollback,
item group/assembly expansion on lines, header-level LinkToTxnID (line LinkToTxn and
SetCredit are simulated, see qb_links), customer/vendor balances, DueDate from terms,
closing dates and permissions.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from lxml import etree

from qbwc.qbxml.parse import QbxmlParseError, parse_document, tag_of
from qbwc.qbxml.validate import errors_in_message
from qbwc.simulator import qb_company as company
from qbwc.simulator import qb_kinds as kinds
from qbwc.simulator import qb_write as write
from qbwc.simulator.qb_order import ret_orders
from qbwc.simulator.qb_query import Outcome, QueryRunner, Shape, deleted_query, render, shape_of
from qbwc.simulator.qb_store import Element, Meta, QbError, Store, read_json, sub, write_json

_VERSION = re.compile(r'version\s*=\s*["\']([^"\']*)["\']')
_ON_ERROR = ("stopOnError", "continueOnError", "rollbackOnError")
_RS_ATTRS = ("retCount", "iteratorRemainingCount", "iteratorID")
# Item-site quantities are kept as records of this pseudo kind (no Add/Mod exists for them).
ITEM_SITES = "ItemSites"
_ITEM_SITE_QUANTITIES = (
    "QuantityOnHand",
    "QuantityOnPurchaseOrders",
    "QuantityOnSalesOrders",
    "QuantityToBeBuiltByPendingBuildTxns",
    "QuantityRequiredByPendingBuildTxns",
    "QuantityOnPendingTransfers",
)


class _Rejected(Exception):
    def __init__(self, hresult: str, errors: list[str]) -> None:
        super().__init__(hresult)
        self.hresult = hresult
        self.errors = errors


class FakeQuickBooks:
    def __init__(
        self,
        *,
        xsd_dir: str | None = None,
        company_name: str = "qbsync Sample Company",
        utc_offset: str = "-08:00",
        start_time: int = 1700000000,
        max_qbxml_version: str = "16.0",
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        """`wall_clock` (e.g. time.time) keeps the simulated clock from lagging real time,
        for end-to-end runs whose server computes sync watermarks from its own clock."""
        self.xsd_dir = xsd_dir
        self.company_name = company_name
        self.max_qbxml_version = max_qbxml_version
        self.request_log: list[str] = []
        self.last_rejection_errors: list[str] = []
        self._store = Store(
            utc_offset=utc_offset,
            start_time=start_time,
            wall_clock=wall_clock,
            orders=ret_orders(xsd_dir) if xsd_dir else {},
        )
        self._queries = QueryRunner(self._store)
        self._injected: dict[str, list[tuple[int, str]]] = {}
        self._rejections: list[str] = []
        self._macros: dict[str, str] = {}
        self._ext_ids = 0
        self._lock = threading.RLock()
        self._seed(start_time)

    def _seed(self, start_time: int) -> None:
        self._store.now = start_time - company.SEED_AGE_SECONDS
        for kind, fields in company.SEED:
            self.add_record(kind, **fields)
        self._store.now = start_time - 1

    # --- the message loop ---------------------------------------------------------------

    def process(self, request_xml: str) -> tuple[str, str, str]:
        """Run one qbXML message. Returns (response_xml, hresult, message).
        Normal: (response, "", ""). Whole message rejected: ("", "0x80040400",
        "QuickBooks found an error when parsing the provided XML text stream.")"""
        with self._lock:
            self.request_log.append(request_xml)
            try:
                if self._rejections:
                    raise _Rejected(self._rejections.pop(0), ["rejection injected by the test"])
                msgs = self._read_message(request_xml)
            except _Rejected as rejected:
                self.last_rejection_errors = rejected.errors
                text = kinds.HRESULT_TEXTS.get(rejected.hresult, "QuickBooks rejected the request.")
                return "", rejected.hresult, text
            self.last_rejection_errors = []
            return self._run_message(msgs), "", ""

    def _read_message(self, text: str) -> Element:
        if not (text.startswith("<?xml") or text.startswith("<?qbxml")):
            raise _Rejected(kinds.PARSE_HRESULT, ["content before <?xml"])
        try:
            root = parse_document(text)
        except QbxmlParseError as exc:
            raise _Rejected(kinds.PARSE_HRESULT, [str(exc)]) from exc
        version = ""
        node = root.getprevious()
        while node is not None:
            if isinstance(node, etree._ProcessingInstruction) and node.target == "qbxml":
                found = _VERSION.search(node.text or "")
                version = found.group(1) if found else ""
            node = node.getprevious()
        if not version:
            raise _Rejected(kinds.PARSE_HRESULT, ['missing <?qbxml version="…"?>'])
        key = company.version_key(version)
        if key == (0, 0) or key > company.version_key(self.max_qbxml_version):
            raise _Rejected("0x80040423", [f"qbXML {version} is not supported"])
        msgs = root.find("QBXMLMsgsRq") if root.tag == "QBXML" else None
        if msgs is None:
            raise _Rejected(kinds.PARSE_HRESULT, ["no <QBXML><QBXMLMsgsRq>"])
        if self.xsd_dir:
            try:
                errors = errors_in_message(text, version, self.xsd_dir)
            except (etree.XMLSyntaxError, ValueError) as exc:
                errors = [str(exc)]
            if errors:
                raise _Rejected(kinds.PARSE_HRESULT, errors)
        elif msgs.get("onError") not in _ON_ERROR:
            raise _Rejected(kinds.PARSE_HRESULT, ["QBXMLMsgsRq needs a valid onError"])
        return msgs

    def _run_message(self, msgs: Element) -> str:
        on_error = msgs.get("onError", "stopOnError")
        include_data = msgs.get("responseData", "includeAll") != "includeNone"
        root = etree.Element("QBXML")
        answers = sub(root, "QBXMLMsgsRs")
        self._macros = {}  # macros are scoped to one message (qbxml.md §11.3)
        stopped = False
        for rq in msgs:
            if not isinstance(rq.tag, str):
                continue
            if stopped:
                outcome = Outcome(kinds.NOT_PROCESSED_CODE, kinds.NOT_PROCESSED_TEXT)
            else:
                outcome = self._run(rq)
                stopped = outcome.code >= 1000 and on_error != "continueOnError"
            answers.append(self._rs(rq, outcome, include_data))
        return _document(root)

    def _rs(self, rq: Element, outcome: Outcome, include_data: bool) -> Element:
        rq_tag = tag_of(rq)
        tag = rq_tag[:-2] + "Rs" if rq_tag.endswith("Rq") else rq_tag + "Rs"
        rs = etree.Element(tag)
        if rq.get("requestID") is not None:
            rs.set("requestID", rq.get("requestID", ""))
        rs.set("statusCode", str(outcome.code))
        rs.set("statusSeverity", kinds.severity(outcome.code))
        rs.set("statusMessage", outcome.message)
        for name in _RS_ATTRS:
            if name in outcome.attrs:
                rs.set(name, outcome.attrs[name])
        if include_data:
            rs.extend(outcome.rets)
        return rs

    def _run(self, rq: Element) -> Outcome:
        queued = self._injected.get(tag_of(rq))
        injected = queued.pop(0) if queued else None
        if injected is not None and injected[0] >= 1000:
            return Outcome(injected[0], injected[1])
        self._use_macros(rq)
        try:
            with self._store.refusable():
                outcome = self._dispatch(rq)
        except QbError as err:
            rets = [render(r, Shape()) for r in err.rets]
            outcome = Outcome(err.code, err.message, rets)
        if injected is not None:
            outcome.code, outcome.message = injected
        return outcome

    def _use_macros(self, rq: Element) -> None:
        for node in rq.iter():
            macro = node.get("useMacro") if isinstance(node.tag, str) else None
            if macro:
                node.text = self._macros.get(macro, node.text)

    # --- request types --------------------------------------------------------------------

    def _dispatch(self, rq: Element) -> Outcome:
        special: dict[str, Callable[[Element], Outcome]] = {
            "HostQueryRq": lambda r: Outcome(rets=[company.host_ret(self.max_qbxml_version)]),
            "CompanyQueryRq": self._company_query,
            "PreferencesQueryRq": lambda r: Outcome(rets=[company.preferences_ret(self._store)]),
            "ListDeletedQueryRq": lambda r: deleted_query(self._store, r, lists=True),
            "TxnDeletedQueryRq": lambda r: deleted_query(self._store, r, lists=False),
            "ListDelRq": self._list_del,
            "TxnDelRq": self._txn_del,
            "TxnVoidRq": self._txn_void,
            "DataExtAddRq": lambda r: self._data_ext(r, "DataExtAdd"),
            "DataExtModRq": lambda r: self._data_ext(r, "DataExtMod"),
            "DataExtDelRq": self._data_ext_del,
            "DataExtDefAddRq": self._data_ext_def,
            "ItemSitesQueryRq": self._item_sites_query,
        }
        if rq.tag in special:
            return special[rq.tag](rq)
        split = kinds.split_request_tag(tag_of(rq))
        if split is not None:
            kind, verb = split
            if verb == "Query" and kind in kinds.MULTI_KIND_QUERIES:
                return self._queries.run(kinds.MULTI_KIND_QUERIES[kind], rq)
            if kinds.is_list(kind) or kinds.is_txn(kind):
                if verb == "Query":
                    return self._queries.run((kind,), rq)
                return self._write(kind, verb, rq)
        return Outcome(
            kinds.UNSUPPORTED_CODE,
            f"{kinds.UNSUPPORTED_TEXT} (The qbsync simulator does not implement {tag_of(rq)}.)",
        )

    def _write(self, kind: str, verb: str, rq: Element) -> Outcome:
        body = rq.find(kind + verb)
        if body is None:
            raise QbError(3150, f'There is a missing element: "{kind}{verb}".')
        if verb == "Mod":
            record = write.mod_record(self._store, kind, body)
        elif kinds.is_list(kind):
            record = write.add_list(self._store, kind, body)
        else:
            record = write.add_txn(self._store, kind, body)
        macro = body.get("defMacro")
        if macro:
            self._macros[macro] = record.findtext("ListID") or record.findtext("TxnID") or ""
        return Outcome(rets=[render(record, shape_of(rq, default_lines=True))])

    def _item_sites_query(self, rq: Element) -> Outcome:
        """Advanced Inventory quantities per item and site (records from set_site_quantity)."""
        if rq.get("iterator") in ("Continue", "Stop"):
            return self._queries.run((ITEM_SITES,), rq)
        sites = {(e.text or "").strip().upper() for e in rq.findall(".//SiteFilter/FullName")}
        ids = [
            rid
            for rid, rec in self._store.iter_kinds((ITEM_SITES,))
            if not sites or (rec.findtext("InventorySiteRef/FullName") or "").upper() in sites
        ]
        page = rq.findtext("MaxReturned")
        size = int(page) if page and page.strip().isdigit() else None
        if rq.get("iterator") == "Start":
            return self._queries._start(rq, ids, size, Shape())
        return self._queries._answer(rq, ids[:size] if size else ids, Shape())

    def _company_query(self, rq: Element) -> Outcome:
        ret = company.company_ret(self._store, self.company_name)
        owners = {(e.text or "").strip() for e in rq.findall("OwnerID")}
        for ext in ret.findall("DataExtRet"):
            if ext.findtext("OwnerID") not in owners:
                ret.remove(ext)
        return Outcome(rets=[ret])

    def _list_del(self, rq: Element) -> Outcome:
        return self._delete(rq, "List", write.delete_list, "FullName")

    def _txn_del(self, rq: Element) -> Outcome:
        return self._delete(rq, "Txn", write.delete_txn, "RefNumber")

    def _delete(
        self,
        rq: Element,
        family: str,
        delete: Callable[[Store, str, str], dict[str, object]],
        name_tag: str,
    ) -> Outcome:
        """ListDelRq / TxnDelRq: the ListDelRet / TxnDelRet names what went."""
        kind = (rq.findtext(f"{family}DelType") or "").strip()
        entry = delete(self._store, kind, (rq.findtext(f"{family}ID") or "").strip())
        return Outcome(
            rets=_fields(
                (f"{family}DelType", kind),
                (f"{family}ID", entry["id"]),
                ("TimeDeleted", self._store.stamp(int(str(entry["deleted"])))),
                (name_tag, entry["name"]),
            )
        )

    def _txn_void(self, rq: Element) -> Outcome:
        kind = (rq.findtext("TxnVoidType") or "").strip()
        record = write.void_txn(self._store, kind, (rq.findtext("TxnID") or "").strip())
        return Outcome(
            rets=_fields(
                ("TxnVoidType", kind),
                *(
                    (tag, record.findtext(tag) or "")
                    for tag in ("TxnID", "TimeCreated", "TimeModified", "RefNumber")
                ),
            )
        )

    def _data_ext(self, rq: Element, tag: str) -> Outcome:
        body = rq.find(tag)
        if body is None:
            raise QbError(3150, f'There is a missing element: "{tag}".')
        ext = write.set_data_ext(self._store, body)
        return Outcome(rets=[etree.fromstring(etree.tostring(ext))])

    def _data_ext_del(self, rq: Element) -> Outcome:
        body = rq.find("DataExtDel")
        if body is None:
            raise QbError(3150, 'There is a missing element: "DataExtDel".')
        ext = write.set_data_ext(self._store, body, delete=True)
        ret = etree.Element("DataExtDelRet")
        sub(ret, "OwnerID", ext.findtext("OwnerID") or "0")
        sub(ret, "DataExtName", ext.findtext("DataExtName") or "")
        sub(ret, "TimeDeleted", self._store.stamp(self._store.tick()))
        return Outcome(rets=[ret])

    def _data_ext_def(self, rq: Element) -> Outcome:
        body = rq.find("DataExtDefAdd")
        ret = etree.Element("DataExtDefRet")
        self._ext_ids += 1
        if body is not None:
            sub(ret, "OwnerID", body.findtext("OwnerID") or "0")
            sub(ret, "DataExtID", str(self._ext_ids))
            for child in body:
                if isinstance(child.tag, str) and child.tag != "OwnerID":
                    ret.append(etree.fromstring(etree.tostring(child)))
        return Outcome(rets=[ret])

    # --- HCP, sessions ---------------------------------------------------------------------

    def hcp_response(self, version: str = "13.0") -> str:
        """The strHCPResponse QBWC sends first: Host, Company and Preferences answers."""
        with self._lock:
            root = etree.Element("QBXML")
            answers = sub(root, "QBXMLMsgsRs")
            rets = (
                ("HostQueryRs", company.host_ret(version)),
                ("CompanyQueryRs", company.company_ret(self._store, self.company_name)),
                ("PreferencesQueryRs", company.preferences_ret(self._store)),
            )
            for number, (tag, ret) in enumerate(rets):
                rs = sub(answers, tag)
                for name, value in (
                    ("requestID", str(number)),
                    ("statusCode", "0"),
                    ("statusSeverity", "Info"),
                    ("statusMessage", kinds.OK_TEXT),
                ):
                    rs.set(name, value)
                rs.append(ret)
            return _document(root)

    def new_session(self) -> None:
        """A new QBWC session: iterators of earlier sessions become invalid (3391)."""
        with self._lock:
            self._queries.new_session()
            self._macros = {}

    def advance_clock(self, seconds: int) -> None:
        """Let simulated time pass (e.g. between sync sessions)."""
        with self._lock:
            self._store.now += seconds

    # --- inspection and seeding for tests -----------------------------------------------------

    def records(self, kind: str) -> list[Element]:
        kind_list = kinds.MULTI_KIND_QUERIES.get(kind, (kind,))
        return [rec for _, rec in self._store.iter_kinds(kind_list)]

    def find(self, kind: str, key: str) -> Element | None:
        kind_list = kinds.MULTI_KIND_QUERIES.get(kind, (kind,))
        meta = self._store.meta.get(key)
        if meta is not None and meta.kind in kind_list:
            return self._store.get(key)
        if kinds.is_list(kind_list[0]):
            found = self._store.find_list(kind_list, "", key)
            return self._store.get(found) if found else None
        for each in kind_list:
            ids = self._store.by_ref_number(each, key)
            if ids:
                return self._store.get(ids[0])
        return None

    def add_record(self, kind: str, **fields: Any) -> Element:
        """Seed a record through the normal Add path, e.g. add_record("Customer", Name="Jo").

        Values are text; a `…Ref` value is a FullName; dicts nest, lists repeat
        (`InvoiceLineAdd=[{"ItemRef": "Widget", "Quantity": "2"}]`)."""
        if not (kinds.is_list(kind) or kinds.is_txn(kind)):
            raise ValueError(f"unknown record kind {kind!r}")
        add = etree.Element(kind + "Add")
        company.build_fields(add, fields)
        with self._lock:
            try:
                with self._store.refusable():
                    if kinds.is_list(kind):
                        return write.add_list(self._store, kind, add)
                    return write.add_txn(self._store, kind, add)
            except QbError as err:
                raise ValueError(f"{err.code}: {err.message}") from err

    def add_records(self, kind: str, count: int, make: Callable[[int], dict[str, Any]]) -> None:
        """Seed `count` records quickly: `make(n)` gives the fields of the n-th one."""
        with self._lock:
            for number in range(count):
                self.add_record(kind, **make(number))

    def modify_record(self, kind: str, key: str, **fields: Any) -> Element:
        """Modify a record through the normal Mod path (new EditSequence and TimeModified),
        e.g. modify_record("Customer", "Jo", Phone="555") or IsActive="false"."""
        with self._lock:
            record = self.find(kind, key)
            if record is None:
                raise ValueError(f"no {kind} {key!r}")
            record_id = record.findtext("ListID") or record.findtext("TxnID") or ""
            real_kind = self._store.meta[record_id].kind
            mod = etree.Element(real_kind + "Mod")
            sub(mod, "ListID" if kinds.is_list(real_kind) else "TxnID", record_id)
            sub(mod, "EditSequence", record.findtext("EditSequence") or "")
            company.build_fields(mod, fields)
            try:
                with self._store.refusable():
                    return write.mod_record(self._store, real_kind, mod)
            except QbError as err:
                raise ValueError(f"{err.code}: {err.message}") from err

    def set_site_quantity(self, item: str, site: str, quantity: str) -> Element:
        """Set an item's quantity on hand at an inventory site (Advanced Inventory)."""
        with self._lock:
            item_id = self._store.find_list(("ItemInventory", "ItemInventoryAssembly"), "", item)
            site_id = self._store.find_list(("InventorySite",), "", site)
            if item_id is None or site_id is None:
                raise ValueError(f"no inventory item {item!r} or site {site!r}")
            record_id = f"{item_id}-{site_id}"
            record = self._store.get(record_id)
            if record is None:
                created = self._store.tick()
                record = etree.Element("ItemSitesRet")
                sub(record, "ListID", record_id)
                sub(record, "TimeCreated", self._store.stamp(created))
                sub(record, "TimeModified", self._store.stamp(created))
                sub(record, "EditSequence", str(created))
                item_kind = self._store.meta[item_id].kind
                ref = sub(record, f"{item_kind}Ref")
                sub(ref, "ListID", item_id)
                sub(ref, "FullName", self._store.name_of(item_id))
                site_ref = sub(record, "InventorySiteRef")
                sub(site_ref, "ListID", site_id)
                sub(site_ref, "FullName", self._store.name_of(site_id))
                for tag in _ITEM_SITE_QUANTITIES:
                    sub(record, tag, "0")
                self._store.insert(
                    ITEM_SITES, record_id, record, Meta(ITEM_SITES, created, created)
                )
            record.find("QuantityOnHand").text = quantity  # type: ignore[union-attr]
            self._store.touch(record_id)
            return record

    def delete_record(self, kind: str, key: str) -> None:
        """Delete a record and log it for ListDeletedQuery/TxnDeletedQuery."""
        with self._lock:
            record = self.find(kind, key)
            if record is None:
                raise ValueError(f"no {kind} {key!r}")
            record_id = record.findtext("ListID") or record.findtext("TxnID") or ""
            real_kind = self._store.meta[record_id].kind
            try:
                if kinds.is_list(real_kind):
                    write.delete_list(self._store, real_kind, record_id)
                else:
                    write.delete_txn(self._store, real_kind, record_id)
            except QbError as err:
                raise ValueError(f"{err.code}: {err.message}") from err

    def set_custom_field(
        self, kind: str, key: str, name: str, value: str, owner_id: str = "0"
    ) -> None:
        """Give a record a custom field (OwnerID 0 = public, returned to `OwnerID 0` queries)."""
        with self._lock:
            record = self.find(kind, key)
            if record is None:
                raise ValueError(f"no {kind} {key!r}")
            body = etree.Element("DataExtAdd")
            sub(body, "OwnerID", owner_id)
            sub(body, "DataExtName", name)
            record_id = record.findtext("ListID") or record.findtext("TxnID") or ""
            real_kind = self._store.meta[record_id].kind
            if kinds.is_list(real_kind):
                sub(body, "ListDataExtType", real_kind)
                sub(sub(body, "ListObjRef"), "ListID", record_id)
            else:
                sub(body, "TxnDataExtType", real_kind)
                sub(body, "TxnID", record_id)
            sub(body, "DataExtValue", value)
            write.set_data_ext(self._store, body)

    # --- fault injection ------------------------------------------------------------------------

    def inject_status(
        self, request_tag: str, status_code: int, message: str, times: int = 1
    ) -> None:
        with self._lock:
            self._injected.setdefault(request_tag, []).extend([(status_code, message)] * times)

    def reject_next_messages(self, count: int = 1, hresult: str = kinds.PARSE_HRESULT) -> None:
        """Reject the next `count` messages as a whole, whatever they contain."""
        with self._lock:
            self._rejections.extend([hresult] * count)

    # --- persistence ------------------------------------------------------------------------------

    def dump(self, path: str) -> None:
        """Save the company (records, counters, clock, deletion log) as JSON."""
        with self._lock:
            state = self._store.dump_state()
            state["company_name"] = self.company_name
            write_json(path, state)

    @classmethod
    def load(cls, path: str, **kwargs: Any) -> FakeQuickBooks:
        state = read_json(path)
        kwargs.setdefault("company_name", state.get("company_name", "qbsync Sample Company"))
        kwargs.setdefault("utc_offset", state.get("utc_offset", "-08:00"))
        fake = cls(**kwargs)
        fake._store.load_state(state)
        return fake


def _fields(*pairs: tuple[str, object]) -> list[Element]:
    out = []
    for tag, value in pairs:
        if value in (None, ""):
            continue
        node = etree.Element(tag)
        node.text = str(value)
        out.append(node)
    return out


def _document(root: Element) -> str:
    """Serialize like QuickBooks: `<?xml version="1.0" ?>`, one element per line."""
    for node in root.iter():
        if len(node):
            node.text = "\n"
        node.tail = "\n"
    root.tail = None
    body: str = etree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" ?>\n' + body + "\n"
