"""The operations API's endpoints (docs/api.md): adapters over objects.api.answers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connections.models import ApiKey
from objects.api.answers import Answer, ask, describe, write_outcome
from objects.api.auth import ApiKeyAuthentication, IsKeyOfConnection
from objects.api.queries import (
    ENTITIES,
    EQ,
    FIELDS,
    ApiError,
    get_query,
    parse_query,
)
from objects.api.writes import write
from objects.backends import backend_for
from objects.models import Operation

ANSWERS = {
    200: OpenApiTypes.OBJECT,
    202: OpenApiTypes.OBJECT,
    400: OpenApiTypes.OBJECT,
    401: OpenApiTypes.OBJECT,
    404: OpenApiTypes.OBJECT,
}


WRITE_ANSWERS = {**ANSWERS, 403: OpenApiTypes.OBJECT, 422: OpenApiTypes.OBJECT}
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="A retried call with the same key returns the first call's operation",
)


class EntitySchema(AutoSchema):
    """Each entity's path lists the filters of that entity (objects.api.queries.ENTITIES)."""

    def get_operation_id(self) -> str:
        kinds = {"GET": "get" if "qb_id" in self.path else "query", "POST": "add",
                 "PATCH": "modify", "DELETE": "delete"}  # fmt: skip
        kind = kinds.get(self.method, self.method.lower())
        return f"api_{kind}_{getattr(self.view, 'entity', '')}"

    def get_tags(self) -> list[str]:
        return ["operations API"]

    def get_override_parameters(self) -> list[Any]:
        entity = ENTITIES.get(getattr(self.view, "entity", ""))
        if entity is None or "qb_id" in self.path or self.method != "GET":
            return []
        filters = [
            OpenApiParameter(
                name if op == EQ else f"{name}__{op}",
                str,
                description=f"{name} {op} ({FIELDS[name].kind})",
            )
            for name in entity.filters
            for op in FIELDS[name].ops
        ]
        return [
            *filters,
            OpenApiParameter("limit", int, description="1 to 1000 (default 100)"),
            OpenApiParameter("offset", int, description="records to skip (default 0)"),
            OpenApiParameter("order_by", str, description="a filter field; -field descends"),
            OpenApiParameter(
                "callback_url", str, description="QuickBooks Desktop: POST the answer here"
            ),
        ]


class ApiView(APIView):
    entity = ""  # the QuickBooks entity of an entity view (as_view(entity=...))
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsKeyOfConnection]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ApiError):
            return Response({"error": exc.as_json()}, status=exc.status)
        return super().handle_exception(exc)

    def respond(self, request: Request, answer: Answer) -> Response:
        if answer.body is not None:
            return Response(answer.body)
        assert answer.operation is not None
        described = describe(request.build_absolute_uri("/"), answer.operation)
        return Response(
            {"operation": described}, status=202, headers={"Location": described["url"]}
        )

    def respond_write(
        self, request: Request, qb_id: str = "", kind: str = Operation.Kind.ADD
    ) -> Response:
        connection = key_of(request).connection
        key = request.headers.get("Idempotency-Key", "").strip()
        fields = {} if kind == Operation.Kind.DELETE else request.data
        operation = write(connection, self.entity, fields, key, timezone.now(), qb_id, kind)
        backend_for(connection).api_push(connection)
        return write_answer(request, operation)


class EntityListView(ApiView):
    schema = EntitySchema()

    @extend_schema(responses=ANSWERS)
    def get(self, request: Request, connection_id: str) -> Response:
        query = parse_query(self.entity, request.query_params)
        return self.respond(
            request, ask(key_of(request).connection, query, timezone.now(), callback_url(request))
        )

    @extend_schema(request=OpenApiTypes.OBJECT, responses=WRITE_ANSWERS,
                   parameters=[IDEMPOTENCY_KEY])  # fmt: skip
    def post(self, request: Request, connection_id: str) -> Response:
        return self.respond_write(request)


class EntityDetailView(ApiView):
    schema = EntitySchema()

    @extend_schema(responses=ANSWERS)
    def get(self, request: Request, connection_id: str, qb_id: str) -> Response:
        query = get_query(self.entity, qb_id)
        return self.respond(
            request, ask(key_of(request).connection, query, timezone.now(), callback_url(request))
        )

    @extend_schema(request=OpenApiTypes.OBJECT, responses=WRITE_ANSWERS,
                   parameters=[IDEMPOTENCY_KEY])  # fmt: skip
    def patch(self, request: Request, connection_id: str, qb_id: str) -> Response:
        return self.respond_write(request, qb_id, Operation.Kind.MODIFY)

    @extend_schema(request=None, responses=WRITE_ANSWERS, parameters=[IDEMPOTENCY_KEY])
    def delete(self, request: Request, connection_id: str, qb_id: str) -> Response:
        return self.respond_write(request, qb_id, Operation.Kind.DELETE)


class OperationView(ApiView):
    @extend_schema(operation_id="api_get_operation", tags=["operations API"], responses=ANSWERS)
    def get(self, request: Request, connection_id: str, public_id: UUID) -> Response:
        operation = Operation.objects.filter(
            connection=key_of(request).connection, public_id=public_id
        ).first()
        if operation is None:
            raise ApiError(404, "no such operation")
        if operation.is_write:
            return write_answer(request, operation)
        described = describe(request.build_absolute_uri("/"), operation)
        if not operation.is_finished:
            return Response({"operation": described}, status=202)
        operation.mark_fetched(timezone.now())
        if operation.state == Operation.State.FAILED:
            error = ApiError.from_json(operation.error)
            return Response({"error": error.as_json(), "operation": described}, error.status)
        return Response({**(operation.result or {}), "operation": described})


def callback_url(request: Request) -> str:
    return str(request.query_params.get("callback_url", "")).strip()


def write_answer(request: Request, operation: Operation) -> Response:
    status, body = write_outcome(operation)
    described = describe(request.build_absolute_uri("/"), operation)
    if status != 202:
        operation.mark_fetched(timezone.now())
        return Response({**body, "operation": described}, status=status)
    return Response({**body, "operation": described}, status=202,
                    headers={"Location": described["url"]})  # fmt: skip


def key_of(request: Request) -> ApiKey:
    """The key IsKeyOfConnection let through."""
    assert isinstance(request.auth, ApiKey)
    return request.auth
