"""Field mappings on QuickBooks Desktop: rules set into the qbXML Add/Mod a mapper built.

The rules' values come from objects.mapping; this module is the one place that puts them
into a request: at the position Intuit's XSD gives each element (qbXML is strictly
ordered), creating the parents a path names (`ShipMethodRef/FullName`) and replacing
what the mapper wrote there. Every write the Web Connector loop sends, intake's
validation and the admin's preview are built by `write_request`, so a preview is what is
sent.
"""

from __future__ import annotations

from lxml import etree

from objects.mapping import resolve
from objects.types.values import PayloadError
from qbwc.qbxml import values
from qbwc.qbxml.mappers import MAPPERS
from qbwc.qbxml.mappers.base import ADD, DELETE, MOD, Element, Mapper, ObjectView
from qbwc.qbxml.schema import Field, Schema, schema_for

# Both schemas a connection may negotiate: a rule must name a field of each.
CHECKED_VERSIONS = ("13.0", "16.0")
# Elements that are not plain header fields of the record: written by the mapper from
# its own rules (identity, references it resolves, lines), never by a mapping.
NO_SCHEMA = "field mappings need Intuit's qbXML XSDs: set QBXML_XSD_DIR"
RESERVED = frozenset({"ListID", "TxnID", "EditSequence", "ExternalGUID"})


# `DataExt:<name>`: a custom field, set by a DataExtModRq once the record exists (an Add
# cannot carry one); qb_state keeps the names still to send under this key.
DATA_EXT = "DataExt:"
DATA_EXT_PENDING = "data_ext_pending"
DATA_EXT_NAME_MAX = 31  # DataExtName
DATA_EXT_VALUE_MAX = 255  # STR255TYPE, the custom fields of QuickBooks' own forms
LIST_DATA_EXT_TYPES = frozenset({"Account", "Customer", "Employee", "OtherName", "Vendor"})
TXN_DATA_EXT_TYPES = frozenset(
    {
        "CreditMemo",
        "Estimate",
        "InventoryAdjustment",
        "Invoice",
        "JournalEntry",
        "PurchaseOrder",
        "ReceivePayment",
        "SalesOrder",
        "SalesReceipt",
    }
)


def write_request(mapper: Mapper, kind: str, view: ObjectView) -> Element:
    """The Add, Mod or Delete request of `view`, with its mapping's fields set."""
    if kind == DELETE:
        return mapper.delete(view)
    rq = mapper.add(view) if kind == ADD else mapper.mod(view)
    if view.rules:
        apply_rules(rq, view)
    return rq


def apply_rules(rq: Element, view: ObjectView) -> None:
    """Set each rule's value into the `…Add`/`…Mod` inside `rq`."""
    body = rq[0] if len(rq) else None
    if body is None or not str(body.tag).endswith(("Add", "Mod")):
        return  # not a record write (a journal's delete, an adjustment's query)
    schema = _schema(view.qbxml_version)
    fields = [rule for rule in view.rules if not rule.target.startswith(DATA_EXT)]
    for target, value in resolve(fields, view.payload):
        path = (str(body.tag), *target.split("/"))
        field = schema.field_at(path)
        if field is None:
            # A field of the Add that the Mod does not have: the record was created with
            # it, and a modification leaves it as it is.
            continue
        _set(body, path[1:], values.text(value, target, field.max_length), schema)


def target_error(object_type: str, target: str) -> str:
    """Why `target` cannot be set on the type's Add ("" when it can)."""
    mapper = MAPPERS.get(object_type)
    if mapper is None:
        return f"QuickBooks Desktop does not write {object_type}"
    if target.startswith(DATA_EXT):
        return _data_ext_error(mapper, target[len(DATA_EXT) :])
    parts = tuple(target.split("/"))
    if not all(parts) or parts[0] in RESERVED:
        return f"{target!r} is not a field a mapping may set"
    root = f"{mapper.qb_type}Add"
    for version in CHECKED_VERSIONS:
        schema = schema_for(version)
        if schema is None:
            return NO_SCHEMA
        field = schema.field_at((root, *parts))
        if field is None:
            return f"{root} has no field {target!r} in qbXML {version}"
        if not field.is_leaf:
            return f"{target!r} holds other fields in {root}: name one of them ({target}/…)"
        if any(step.repeats for step in _steps(schema, root, parts)):
            return f"{target!r} is inside a repeated element of {root} (lines are not mapped)"
    return ""


def data_ext_values(view: ObjectView) -> list[tuple[str, str]]:
    """(custom field name, value) of each DataExt rule, checked as QuickBooks would."""
    rules = [rule for rule in view.rules if rule.target.startswith(DATA_EXT)]
    return [
        (target[len(DATA_EXT) :], values.text(value, target, DATA_EXT_VALUE_MAX))
        for target, value in resolve(rules, view.payload)
    ]


def data_ext_request(mapper: Mapper, view: ObjectView, name: str) -> Element:
    """The DataExtModRq setting custom field `name` of the record written for `view`."""
    value = dict(data_ext_values(view))[name]
    rq = etree.Element("DataExtModRq")
    body = etree.SubElement(rq, "DataExtMod")
    etree.SubElement(body, "OwnerID").text = "0"  # QuickBooks' own custom fields
    etree.SubElement(body, "DataExtName").text = name
    kind = _data_ext_type(mapper)
    if kind in TXN_DATA_EXT_TYPES:
        etree.SubElement(body, "TxnDataExtType").text = kind
        etree.SubElement(body, "TxnID").text = view.qb_id
    else:
        etree.SubElement(body, "ListDataExtType").text = kind
        etree.SubElement(etree.SubElement(body, "ListObjRef"), "ListID").text = view.qb_id
    etree.SubElement(body, "DataExtValue").text = value
    return rq


def pending_data_ext(view: ObjectView) -> list[str]:
    """The custom fields still to set after the write just answered."""
    return [rule.target[len(DATA_EXT) :] for rule in view.rules if rule.target.startswith(DATA_EXT)]


def _data_ext_type(mapper: Mapper) -> str:
    # Every item type is one ListDataExtType.
    return "Item" if mapper.qb_type.startswith("Item") else mapper.qb_type


def _data_ext_error(mapper: Mapper, name: str) -> str:
    kind = _data_ext_type(mapper)
    if kind not in LIST_DATA_EXT_TYPES | TXN_DATA_EXT_TYPES | {"Item"}:
        return f"{mapper.qb_type} records have no custom fields (DataExt)"
    if not name.strip() or len(name) > DATA_EXT_NAME_MAX:
        return f"a custom field's name is 1 to {DATA_EXT_NAME_MAX} characters"
    return ""


def _steps(schema: Schema, root: str, parts: tuple[str, ...]) -> list[Field]:
    steps = [schema.field_at((root, *parts[: depth + 1])) for depth in range(len(parts))]
    return [step for step in steps if step is not None]


def _set(body: Element, parts: tuple[str, ...], text: str, schema: Schema) -> None:
    node = body
    path: tuple[str, ...] = (str(body.tag),)
    for part in parts:
        found = node.find(part)
        if found is None:
            found = _insert(node, part, [f.name for f in schema.children(_declared(schema, path))])
        node = found
        path = (*path, part)
    node.text = text


def _declared(schema: Schema, path: tuple[str, ...]) -> etree._Element:
    node = schema.element_at(path)
    assert node is not None  # apply_rules checked the whole path
    return node


def _insert(parent: Element, tag: str, order: list[str]) -> Element:
    """A new `tag` child of `parent`, placed after every sibling the schema puts first."""
    rank = order.index(tag)
    position = 0
    for index, sibling in enumerate(parent):
        name = str(sibling.tag)
        if name in order and order.index(name) <= rank:
            position = index + 1
    new = parent.makeelement(tag, {})
    parent.insert(position, new)
    return new


def _schema(version: str) -> Schema:
    schema = schema_for(version)
    if schema is None:
        # Without the XSDs neither a field's place nor its existence is known.
        raise PayloadError("mapping", NO_SCHEMA)
    return schema


__all__ = [
    "ADD",
    "MOD",
    "apply_rules",
    "data_ext_request",
    "data_ext_values",
    "pending_data_ext",
    "target_error",
    "write_request",
]
