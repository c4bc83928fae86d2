"""Inventory quantities (flowlink §9.4) and deleted-object records (docs/pulls.md)."""

from __future__ import annotations

from typing import Any

from qbwc.qbxml.readers.common import Element, Elementish, Node, Record, ref_name, text


def read_inventory_level(element: Element, grabbed_at: str) -> Record:
    """Legacy get_inventories shape: id/sku/product_id = item Name."""
    ret = Node(element)
    name = text(ret, "Name")
    return {
        "id": name,
        "sku": name,
        "product_id": name,
        "quantity": text(ret, "QuantityOnHand"),
        "grabbed_at": grabbed_at,
        "fullname": text(ret, "FullName"),
    }


def read_item_site(element: Element, grabbed_at: str) -> Record:
    """ItemSitesRet: one record per item and site; not compacted (empty site = "")."""
    ret = Node(element)
    inventory = ref_name(ret, "ItemInventoryRef")
    assembly = ref_name(ret, "ItemInventoryAssemblyRef")
    item = inventory if inventory is not None else (assembly or "")
    site = ref_name(ret, "InventorySiteRef") or ""
    return {
        "id": f"{item}-site-{site}",
        "list_id": text(ret, "ListID"),
        "created_at": text(ret, "TimeCreated"),
        "updated_at": text(ret, "TimeModified"),
        "edit_sequence": text(ret, "EditSequence"),
        "full_name": item,
        "qbe_item_type": "qbe_inventory" if inventory is not None else "inventory_assembly",
        "inventory_item_name": inventory or "",
        "assembly_item_name": assembly or "",
        "quantity_on_hand": text(ret, "QuantityOnHand"),
        "inventory_site": site,
        "inventory_site_location": ref_name(ret, "InventorySiteLocationRef") or "",
        "quantity_on_po": text(ret, "QuantityOnPurchaseOrders"),
        "quantity_on_sales_order": text(ret, "QuantityOnSalesOrders"),
        "quantity_to_be_assembled": text(ret, "QuantityToBeBuiltByPendingBuildTxns"),
        "quantity_by_being_assembled": text(ret, "QuantityRequiredByPendingBuildTxns"),
        "quantity_by_pending_transfer": text(ret, "QuantityOnPendingTransfers"),
        "timestamp": grabbed_at,
    }


def read_deleted(ret: Elementish, id_from: str, key: Any) -> Record:
    """ListDeletedRet / TxnDeletedRet as a tombstone FlowLink can route like the record.

    `id_from` says where the type's `id` comes from: "qb_id" (ListID/TxnID), "name"
    (the last segment of FullName, as item records use Name) or "ref_number".
    """
    is_list = ret.tag == "ListDeletedRet"
    qb_id = text(ret, "ListID" if is_list else "TxnID") or ""
    full_name = text(ret, "FullName")
    ref_number = text(ret, "RefNumber")
    if id_from == "name" and full_name:
        record_id = full_name.rsplit(":", 1)[-1]
    elif id_from == "ref_number" and ref_number:
        record_id = ref_number
    else:
        record_id = qb_id
    record: Record = {
        "id": record_id,
        "qbe_id": qb_id,
        "key": key,
        "is_deleted": True,
        "deleted_at": text(ret, "TimeDeleted"),
        "created_at": text(ret, "TimeCreated"),
        "qbe_object_type": text(ret, "ListDelType" if is_list else "TxnDelType"),
    }
    if full_name is not None:
        record["full_name"] = full_name
    if ref_number is not None:
        record["ref_number"] = ref_number
    return {k: v for k, v in record.items() if v is not None}
