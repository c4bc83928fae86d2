"""Add, Mod, Del and Void of list records and transactions (qbxml.md §6).

Every write first works on copies and raises `QbError` before touching the store, so a
failed request changes nothing — as in QuickBooks.
"""

from __future__ import annotations

import copy

from lxml import etree

from qbwc.qbxml.parse import tag_of
from qbwc.simulator import qb_kinds as kinds
from qbwc.simulator import qb_links as links
from qbwc.simulator import qb_txn as txn
from qbwc.simulator.qb_store import Element, Meta, QbError, Store, set_text, sub

_LIST_FRONT = ("Name", "FullName", "IsActive", "ClassRef", "ParentRef", "Sublevel")
_AUTO_REF_NUMBER = frozenset(
    ("Invoice", "SalesOrder", "SalesReceipt", "CreditMemo", "Estimate", "PurchaseOrder")
)
# Accounts QuickBooks fills in when a transaction does not name one (real samples show them).
_DEFAULT_ACCOUNTS: dict[str, tuple[tuple[str, str], ...]] = {
    "Invoice": (("ARAccountRef", "Accounts Receivable"),),
    "CreditMemo": (("ARAccountRef", "Accounts Receivable"),),
    "ReceivePayment": (
        ("ARAccountRef", "Accounts Receivable"),
        ("DepositToAccountRef", "Undeposited Funds"),
    ),
    "SalesReceipt": (("DepositToAccountRef", "Undeposited Funds"),),
    "Bill": (("APAccountRef", "Accounts Payable"),),
    "VendorCredit": (("APAccountRef", "Accounts Payable"),),
}


def clone(node: Element) -> Element:
    return copy.deepcopy(node)


# --- references --------------------------------------------------------------------------


def _in_line(ref: Element, top: Element) -> bool:
    node = ref.getparent()
    while node is not None and node is not top:
        if "Line" in tag_of(node):
            return True
        node = node.getparent()
    return False


def resolve_refs(store: Store, body: Element, owner_kind: str) -> None:
    """Check every `…Ref` and fill in both ListID and FullName (3140 when missing)."""
    for ref in list(body.iter()):
        if not isinstance(ref.tag, str) or not ref.tag.endswith("Ref") or ref is body:
            continue
        list_id = (ref.findtext("ListID") or "").strip()
        full_name = (ref.findtext("FullName") or "").strip()
        if not list_id and not full_name:
            continue
        targets = kinds.ref_targets(ref.tag, owner_kind)
        if targets is None:
            continue
        if set(targets) <= kinds.LENIENT_WHEN_EMPTY and store.is_empty(targets):
            continue
        found = store.find_list(targets, list_id, full_name)
        if found is None:
            where = owner_kind + (" line" if _in_line(ref, body) else "")
            word = kinds.type_word(targets)
            raise QbError(3140, kinds.invalid_reference_text(word, list_id or full_name, where))
        write_ref(store, ref, found)


def write_ref(store: Store, ref: Element, record_id: str) -> None:
    for child in list(ref):
        ref.remove(child)
    sub(ref, "ListID", record_id)
    sub(ref, "FullName", store.name_of(record_id))


# --- lists ---------------------------------------------------------------------------------


def _list_name(store: Store, kind: str, body: Element, name: str) -> tuple[str, int]:
    """Return (FullName, Sublevel) from the Name and a resolved ParentRef."""
    parent_id = body.findtext("ParentRef/ListID") or ""
    if not parent_id or kind not in kinds.HIERARCHICAL_KINDS:
        return name, 0
    parent = store.get(parent_id)
    level = int(parent.findtext("Sublevel") or "0") if parent is not None else 0
    return f"{store.name_of(parent_id)}:{name}", level + 1


def _check_unique(store: Store, kind: str, full_name: str, name: str, self_id: str = "") -> None:
    found = store.by_name(kinds.namespace_of(kind), full_name)
    if found is not None and found != self_id:
        raise QbError(3100, kinds.name_in_use_text(name))


def add_list(store: Store, kind: str, add: Element) -> Element:
    body = clone(add)
    name_field = kinds.NAME_FIELDS.get(kind, "Name")
    name = (body.findtext(name_field) or "").strip() if name_field else ""
    if name_field and not name:
        raise QbError(3150, f'There is a missing element: "{name_field}".')
    resolve_refs(store, body, kind)
    full_name, sublevel = _list_name(store, kind, body, name)
    if full_name:
        _check_unique(store, kind, full_name, name)
    created = store.tick()
    list_id = store.new_list_id(created)
    ret = etree.Element(f"{kind}Ret")
    for tag, text in (
        ("ListID", list_id),
        ("TimeCreated", store.stamp(created)),
        ("TimeModified", store.stamp(created)),
        ("EditSequence", str(created)),
    ):
        sub(ret, tag, text)
    _list_body(kind, ret, body, name_field, full_name, sublevel)
    store.arrange(ret)
    store.insert(kind, list_id, ret, Meta(kind, created, created, full_name))
    return ret


def _list_body(
    kind: str, ret: Element, body: Element, name_field: str | None, full: str, level: int
) -> None:
    balance = body.findtext("OpenBalance")
    for child in body:
        if not isinstance(child.tag, str) or child.tag in kinds.ADD_ONLY_FIELDS:
            continue
        node = clone(child)
        node.tag = kinds.RENAMED_ON_RET.get(tag_of(node), node.tag)
        ret.append(node)
        if child.tag == name_field and kind in kinds.HIERARCHICAL_KINDS:
            sub(ret, "FullName", full)
    if ret.find("IsActive") is None and kind != "BillingRate":
        node = etree.Element("IsActive")
        node.text = "true"
        anchor = ret.find("FullName")
        if anchor is None and name_field:
            anchor = ret.find(name_field)
        if anchor is not None:
            anchor.addnext(node)
        else:
            ret.insert(4, node)  # right after ListID, TimeCreated, TimeModified, EditSequence
    if kind in kinds.HIERARCHICAL_KINDS:
        anchor = None
        for tag in _LIST_FRONT:
            if ret.find(tag) is not None:
                anchor = ret.find(tag)
        level_node = etree.Element("Sublevel")
        level_node.text = str(level)
        if anchor is not None:
            anchor.addnext(level_node)
    for tag, text in kinds.LIST_DEFAULTS.get(kind, ()):
        if ret.find(tag) is None:
            value = balance if balance and tag in ("Balance", "TotalBalance") else text
            sub(ret, tag, value)


# --- transactions ----------------------------------------------------------------------------


def add_txn(store: Store, kind: str, add: Element) -> Element:
    body = clone(add)
    resolve_refs(store, body, kind)
    created = store.tick()
    txn_id = store.new_txn_id(created)
    ret = _build_txn(store, kind, body, created, txn_id)
    effects = txn.effects_of(store, kind, ret)
    txn.check_payments(store, effects)
    linked = links.plan_links(store, kind, body, ret)
    ref_number = ret.findtext("RefNumber") or ""
    if ref_number:
        store.note_ref_number(kind, ref_number)
    store.insert(kind, txn_id, ret, Meta(kind, created, created, ref_number))
    txn.apply_effects(store, effects, +1)
    if linked:
        links.apply_links(store, linked, txn_id)
    store.arrange(ret)
    return ret


def _build_txn(store: Store, kind: str, body: Element, created: int, txn_id: str) -> Element:
    ret = etree.Element(f"{kind}Ret")
    for tag, text in (
        ("TxnID", txn_id),
        ("TimeCreated", store.stamp(created)),
        ("TimeModified", store.stamp(created)),
        ("EditSequence", str(created)),
        ("TxnNumber", str(store.txn_number)),
    ):
        sub(ret, tag, text)
    store.txn_number += 1
    for child in body:
        if not isinstance(child.tag, str) or child.tag in kinds.ADD_ONLY_FIELDS:
            continue
        if kinds.is_add_line(child.tag):
            ret.append(txn.convert_line(store, kind, child, created, kinds.line_ret_tag(child.tag)))
        else:
            ret.append(clone(child))
    if ret.find("TxnDate") is None:
        node = etree.Element("TxnDate")
        node.text = store.today().isoformat()
        anchor = next((c for c in ret if c.tag in ("RefNumber", "BillAddress", "Memo")), None)
        if anchor is not None:
            anchor.addprevious(node)
        else:
            txn.put_header_node(ret, node)
    if ret.find("RefNumber") is None and kind in _AUTO_REF_NUMBER:
        # QuickBooks numbers sales forms and purchase orders itself when none is sent.
        node = etree.Element("RefNumber")
        node.text = store.next_ref_number(kind)
        txn_date = ret.find("TxnDate")
        assert txn_date is not None  # every transaction Ret has its TxnDate by now
        txn_date.addnext(node)
    for tag, account in _DEFAULT_ACCOUNTS.get(kind, ()):
        account_id = store.by_name("Account", account)
        if ret.find(tag) is None and account_id is not None:
            ref = etree.Element(tag)
            write_ref(store, ref, account_id)
            txn.put_header_node(ret, ref)
    if kind == "ReceivePayment" and _is_true(body.findtext("IsAutoApply")):
        _auto_apply(store, ret, created)
    txn.compute_totals(store, kind, ret)
    return ret


def _is_true(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "1")


def _auto_apply(store: Store, ret: Element, created: int) -> None:
    """IsAutoApply: pay the customer's oldest open invoices with the TotalAmount."""
    left = txn.amount_of(ret, "TotalAmount")
    customer_id = ret.findtext("CustomerRef/ListID") or ""
    for invoice_id, invoice in list(store.kind_records("Invoice").items()):
        if left <= 0:
            break
        if invoice.findtext("CustomerRef/ListID") != customer_id:
            continue
        due = txn.amount_of(invoice, "BalanceRemaining")
        if due <= 0:
            continue
        paid = min(due, left)
        left -= paid
        source = etree.Element("AppliedToTxnAdd")
        sub(source, "TxnID", invoice_id)
        sub(source, "PaymentAmount", kinds.money(paid))
        ret.append(txn.convert_line(store, "ReceivePayment", source, created, "AppliedToTxnRet"))


# --- Mod -----------------------------------------------------------------------------------


def mod_record(store: Store, kind: str, mod: Element) -> Element:
    """Apply an `XMod` (3120 unknown id, 3200 stale EditSequence with the current record)."""
    id_tag = "ListID" if kinds.is_list(kind) else "TxnID"
    record_id = (mod.findtext(id_tag) or "").strip()
    record = store.get(record_id)
    if record is None or store.meta[record_id].kind != kind:
        raise QbError(3120, kinds.not_found_text(record_id))
    sent = (mod.findtext("EditSequence") or "").strip()
    if sent != record.findtext("EditSequence"):
        raise QbError(3200, kinds.stale_edit_sequence_text(sent), [record])
    body = clone(mod)
    resolve_refs(store, body, kind)
    new = clone(record)
    fields = [
        c
        for c in body
        if isinstance(c.tag, str)
        and c.tag not in (id_tag, "EditSequence")
        and c.tag not in kinds.ADD_ONLY_FIELDS
        and not kinds.is_mod_line(c.tag)
    ]
    _apply_fields(new, fields)
    if kinds.is_list(kind):
        return _commit_list_mod(store, kind, record_id, new)
    line_mods = [c for c in body if isinstance(c.tag, str) and kinds.is_mod_line(c.tag)]
    if line_mods:
        _apply_line_mods(store, kind, new, line_mods)
    txn.compute_totals(store, kind, new)
    old_effects = txn.effects_of(store, kind, record)
    new_effects = txn.effects_of(store, kind, new)
    txn.check_payments(store, new_effects, undo=old_effects)
    linked = links.plan_links(store, kind, body, new)
    txn.apply_effects(store, old_effects, -1)
    store.replace(record_id, new)
    store.rename(record_id, new.findtext("RefNumber") or "")
    store.touch(record_id)
    txn.apply_effects(store, new_effects, +1)
    if linked:
        links.apply_links(store, linked, record_id)
    store.arrange(new)
    return new


def _apply_fields(record: Element, fields: list[Element]) -> None:
    """Replace each sent field; `…Mod` aggregates merge; an empty element clears the field."""
    by_tag: dict[str, list[Element]] = {}
    for field in fields:
        by_tag.setdefault(tag_of(field), []).append(field)
    for tag, nodes in by_tag.items():
        target = tag[:-3] if tag.endswith("Mod") and len(tag) > 3 else tag
        target = kinds.RENAMED_ON_RET.get(target, target)
        existing = record.findall(target)
        if tag != target and len(existing) == 1 and len(nodes) == 1:
            # SalesOrPurchaseMod and friends change only the sub-fields they carry.
            _apply_fields(existing[0], [c for c in nodes[0] if isinstance(c.tag, str)])
            continue
        replacements = []
        for node in nodes:
            if len(node) == 0 and not (node.text or "").strip():
                continue  # an empty element clears the field
            fresh = clone(node)
            fresh.tag = target
            replacements.append(fresh)
        for fresh in replacements:
            if existing:
                existing[0].addprevious(fresh)
            elif tag_of(record).endswith("Ret"):
                txn.put_header_node(record, fresh)
            else:
                record.append(fresh)
        for old in existing:
            record.remove(old)


def _commit_list_mod(store: Store, kind: str, record_id: str, new: Element) -> Element:
    name_field = kinds.NAME_FIELDS.get(kind, "Name")
    name = (new.findtext(name_field) or "").strip() if name_field else ""
    full_name, sublevel = _list_name(store, kind, new, name)
    old_name = store.name_of(record_id)
    if full_name and full_name != old_name:
        _check_unique(store, kind, full_name, name, record_id)
    if kind in kinds.HIERARCHICAL_KINDS:
        set_text(new, "FullName", full_name)
        set_text(new, "Sublevel", str(sublevel))
    store.replace(record_id, new)
    if full_name != old_name:
        store.rename(record_id, full_name)
        _rename_children(store, kind, record_id)
        store.rename_refs(record_id)
    store.touch(record_id)
    store.arrange(new)
    return new


def _rename_children(store: Store, kind: str, parent_id: str) -> None:
    """A renamed or moved parent changes the FullName of every descendant."""
    if kind not in kinds.HIERARCHICAL_KINDS:
        return
    family = kinds.ITEM_KINDS if kind in kinds.ITEM_KINDS else (kind,)
    for child_kind in family:
        for child_id, child in list(store.kind_records(child_kind).items()):
            if child.findtext("ParentRef/ListID") != parent_id:
                continue
            name = child.findtext("Name") or ""
            full_name, sublevel = _list_name(store, child_kind, child, name)
            set_text(child, "FullName", full_name)
            set_text(child, "Sublevel", str(sublevel))
            store.rename(child_id, full_name)
            _rename_children(store, child_kind, child_id)
            store.rename_refs(child_id)


def _apply_line_mods(store: Store, kind: str, new: Element, line_mods: list[Element]) -> None:
    """Lines not named by a line-Mod of the same family are deleted (qbxml.md §6.3)."""
    family: set[str] = set()
    for line_mod in line_mods:
        family.update(kinds.mod_line_family(tag_of(line_mod)))
    old_lines = [c for c in new if c.tag in family]
    if kind == "ReceivePayment":
        # Applications are keyed by the invoice; each AppliedToTxnMod restates one in full.
        lines = [txn.convert_line(store, kind, m, store.now, "AppliedToTxnRet") for m in line_mods]
    else:
        by_id = {line.findtext("TxnLineID"): line for line in old_lines}
        lines = [_mod_line(store, kind, m, by_id) for m in line_mods]
    anchor = old_lines[0] if old_lines else None
    for line in lines:
        if anchor is not None:
            anchor.addprevious(line)
        else:
            new.append(line)
    for old in old_lines:
        new.remove(old)


def _mod_line(
    store: Store, kind: str, line_mod: Element, by_id: dict[str | None, Element]
) -> Element:
    tags = kinds.mod_line_family(tag_of(line_mod))
    tag = tags[-1] if tag_of(line_mod).endswith("GroupMod") else tags[0]
    if line_mod.tag == "JournalLineMod" and line_mod.findtext("JournalLineType") == "Credit":
        tag = "JournalCreditLine"
    line_id = (line_mod.findtext("TxnLineID") or "").strip()
    if line_id in ("-1", ""):
        return txn.convert_line(store, kind, line_mod, store.now, tag)
    old = by_id.get(line_id)
    if old is None:
        raise QbError(3120, kinds.not_found_text(line_id))
    merged = clone(old)
    if line_mod.tag == "JournalLineMod" and line_mod.find("JournalLineType") is not None:
        merged.tag = tag
    changes = [
        c
        for c in line_mod
        if isinstance(c.tag, str) and c.tag not in ("TxnLineID", "JournalLineType")
    ]
    _apply_fields(merged, changes)
    sent = {c.tag for c in changes}
    if sent & {"Quantity", "Rate", "Cost"} and "Amount" not in sent:
        for amount in merged.findall("Amount"):
            merged.remove(amount)  # recomputed from the new quantity or rate
    txn.fill_line(store, kind, merged)
    return merged


# --- Del and Void ------------------------------------------------------------------------------


def _in_use(store: Store, record_id: str) -> bool:
    for items in store.records.values():
        for other_id, other in items.items():
            if other_id == record_id:
                continue
            for node in other.iter("ListID"):
                if node.text == record_id and node.getparent() is not other:
                    return True
    return False


def delete_list(store: Store, kind: str, list_id: str) -> dict[str, object]:
    meta = store.meta.get(list_id)
    if meta is None or meta.kind != kind:
        raise QbError(3120, kinds.not_found_text(list_id))
    if _in_use(store, list_id):
        # Text modelled on other "error when saving" messages; not verified on QuickBooks.
        raise QbError(
            3170,
            f'There was an error when deleting a {kind} list, element "{meta.name}".  '
            "QuickBooks error message: This list element is in use.",
        )
    return store.remove(list_id)


def delete_txn(store: Store, kind: str, txn_id: str) -> dict[str, object]:
    meta = store.meta.get(txn_id)
    record = store.get(txn_id)
    if meta is None or record is None or meta.kind != kind:
        raise QbError(3120, kinds.not_found_text(txn_id))
    txn.apply_effects(store, txn.effects_of(store, kind, record), -1)
    return store.remove(txn_id)


def void_txn(store: Store, kind: str, txn_id: str) -> Element:
    meta = store.meta.get(txn_id)
    record = store.get(txn_id)
    if meta is None or record is None or meta.kind != kind:
        raise QbError(3120, kinds.not_found_text(txn_id))
    txn.apply_effects(store, txn.effects_of(store, kind, record), -1)
    txn.void_amounts(record)
    store.touch(txn_id)
    store.arrange(record)
    return record


# --- data extensions (custom fields) -------------------------------------------------------------


def _ext_target(store: Store, body: Element) -> Element | None:
    """Find the record a DataExt request names; None means the company itself."""
    list_type = body.findtext("ListDataExtType")
    if list_type:
        list_id = (body.findtext("ListObjRef/ListID") or "").strip()
        full_name = (body.findtext("ListObjRef/FullName") or "").strip()
        found = store.find_list((list_type,), list_id, full_name)
        if found is None:
            raise QbError(3120, kinds.not_found_text(list_id or full_name))
        return store.get(found)
    txn_id = (body.findtext("TxnID") or "").strip()
    if body.findtext("TxnDataExtType"):
        record = store.get(txn_id)
        if record is None:
            raise QbError(3120, kinds.not_found_text(txn_id))
        return record
    return None


def set_data_ext(store: Store, body: Element, delete: bool = False) -> Element:
    """Create, change or remove a DataExtRet on a record or the company (QBWC's FileID)."""
    owner = (body.findtext("OwnerID") or "0").strip()
    name = (body.findtext("DataExtName") or "").strip()
    target = _ext_target(store, body)
    holder = store.company_ext if target is None else target.findall("DataExtRet")
    existing = next(
        (e for e in holder if e.findtext("OwnerID") == owner and e.findtext("DataExtName") == name),
        None,
    )
    if delete:
        if existing is None:
            raise QbError(3120, kinds.not_found_text(name))
        if target is None:
            store.company_ext.remove(existing)
        else:
            target.remove(existing)
        return existing
    ext = existing if existing is not None else etree.Element("DataExtRet")
    if existing is None:
        sub(ext, "OwnerID", owner)
        sub(ext, "DataExtName", name)
        sub(ext, "DataExtType", "STR255TYPE")
        sub(ext, "DataExtValue", "")
        if target is None:
            store.company_ext.append(ext)
        else:
            target.append(ext)
    set_text(ext, "DataExtValue", body.findtext("DataExtValue") or "")
    return ext
