"""FlowLink payments (flowlink §6.8): the customer and the invoice a payment needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import REQUIRE, Dependency, TransactionType
from objects.types.sales import customer_dependency, customer_name
from objects.types.values import is_blank


def invoice_key(invoice_id: Any) -> str:
    return f"invoices:{invoice_id}"


class PaymentType(TransactionType):
    object_type = "payments"
    reads_dependencies = True  # the invoice's TxnID
    payload_types = ("payment",)
    echo_key = "payments"
    notice_name = "Payment"

    def dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
        deps: list[Dependency] = []
        field, ref = customer_name(payload, params)
        if not isinstance(ref, Mapping):
            deps.append(customer_dependency(payload, params, str(ref), field, use_object=False))
        if not is_blank(payload.get("invoice_id")):
            deps.append(Dependency("invoices", {"id": str(payload["invoice_id"])}, REQUIRE))
        return deps
