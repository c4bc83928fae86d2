"""QBO's error answers: the `Fault` envelope, the gateway's lower-case 401 body, codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorItem:
    code: str
    message: str
    detail: str
    element: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "Message": self.message,
            "Detail": self.detail,
            "code": self.code,
            "element": self.element,
        }


@dataclass
class QboFault(Exception):
    """An answer with a `Fault` body; several errors may travel together (spec §9)."""

    errors: list[ErrorItem]
    type: str = "ValidationFault"
    status: int = 400
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"Fault": {"Error": [e.as_json() for e in self.errors], "type": self.type}}


def fault(code: str, message: str, detail: str, element: str = "", **kw: Any) -> QboFault:
    return QboFault([ErrorItem(code, message, detail, element)], **kw)


def not_found(entity: str, ident: str) -> ErrorItem:
    return ErrorItem(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. Check the"
        f" fields with accounts, customers, items, vendors or employees. ({entity} Id={ident})",
    )


def inactive_reference(element: str, entity: str, ident: str) -> ErrorItem:
    item = not_found(entity, ident)
    return ErrorItem(item.code, item.message, item.detail, element)


def invalid_reference(element: str, entity: str, ident: str) -> ErrorItem:
    return ErrorItem(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {entity} assigned to this transaction does not exist. Id={ident}",
        element,
    )


def required(element: str) -> ErrorItem:
    return ErrorItem(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def invalid_value(element: str, detail: str) -> ErrorItem:
    return ErrorItem("2010", "Request has invalid or unsupported property", detail, element)


def business(detail: str, element: str = "") -> ErrorItem:
    return ErrorItem(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element,
    )


def stale(entity: str) -> QboFault:
    return fault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and root were working on this at the same time. root"
        f" finished before you did, so your work was not saved. Entity={entity}",
    )


def duplicate_name(entity: str, name: str) -> ErrorItem:
    who = (
        "Another product or service is already using this name."
        if entity == "Item"
        else "Another customer, vendor or employee is already using this name."
        if entity in ("Customer", "Vendor")
        else f"Another {entity.lower()} is already using this name."
    )
    return ErrorItem(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : {who} Please use a different name. Name={name}",
    )


def duplicate_doc_number(entity: str, number: str, existing_id: str) -> ErrorItem:
    return ErrorItem(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number"
        f" has already been used. DocNumber={number} is assigned to TxnType={entity}"
        f" with TxnId={existing_id}",
    )


def unsupported(detail: str) -> QboFault:
    return fault("500", "Unsupported Operation", detail)


def query_parser_error(detail: str) -> QboFault:
    return fault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation_error(detail: str) -> QboFault:
    return fault("4001", "Invalid query", f"QueryValidationError: {detail}")


def throttled(retry_after: int | None) -> QboFault:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return fault(
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.",
        type="SERVICE",
        status=429,
        headers=headers,
    )


def system_fault(status: int) -> QboFault:
    return fault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your"
        " data. Please wait a few minutes and try again.",
        type="SystemFault",
        status=status,
    )


def wrong_realm(realm: str) -> QboFault:
    return fault(
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        f"The token is not valid for realm {realm}.",
        type="AuthorizationFault",
        status=403,
    )


def authentication_body(detail: str, epoch_ms: int) -> dict[str, Any]:
    """The gateway's 401 body: lower-case keys, `time` in epoch milliseconds (spec §9)."""
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": epoch_ms,
        "status": None,
        "cdcresponse": [],
    }


def too_long(element: str, limit: int, length: int) -> ErrorItem:
    return ErrorItem(
        "2050",
        "String length is either shorter or longer than supported by specification",
        "String length specified does not match the supported length."
        f" Min:0 Max:{limit} supported. Supplied length:{length}",
        element,
    )


def amount_mismatch(element: str, supplied: object) -> ErrorItem:
    return ErrorItem(
        "6070",
        "Amount calculation incorrect in the request",
        f"Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}",
        element,
    )


def missing_quantity(element: str) -> ErrorItem:
    return ErrorItem(
        "6520",
        "Missing Inventory Item Quantity",
        "Missing Inventory Item Quantity : Enter a quantity for the inventory item.",
        element,
    )
