"""FlowLink webhook endpoints (DRF adapters over objects.intake and the models).

Wire rules from flowlink §2: unparseable JSON → 406; a wrong connection or token → 401;
absent keys are omitted, never null. Every 4xx carries `{"request_id", "summary"}` naming
what was wrong: the status codes stay flowlink's, the body is for whoever reads the answer.
The body is read and checked by objects.webhook_body whatever its Content-Type.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from connections.models import Connection, FlowConfig
from objects import intake, pulls, webhook_body
from objects.backends import backend_for
from objects.models import CustomRoute, Notification

log = logging.getLogger(__name__)

HEADERS = [
    OpenApiParameter("X-Hub-Store", str, OpenApiParameter.HEADER, description="Connection id"),
    OpenApiParameter("X-Hub-Token", str, OpenApiParameter.HEADER, description="Webhook token"),
]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ParseError | UnsupportedMediaType):
        return Response(
            {"request_id": None, "summary": f"body: {exc.detail}"},
            status=status.HTTP_406_NOT_ACCEPTABLE,
        )
    return drf_exception_handler(exc, context)


class EnvelopeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The envelope as the OpenAPI schema shows it; envelope_parameters() checks it."""

    request_id = serializers.JSONField(required=False, allow_null=True)
    parameters = serializers.DictField(required=False, default=dict)


def envelope_parameters(body: dict[str, Any]) -> dict[str, Any]:
    """`parameters` (an object, {} when absent), refused with EnvelopeSerializer's words.

    Checked by hand: a DRF serializer cost more per single-object webhook than the
    connection look-up (docs/benchmarks.md) for one isinstance test."""
    parameters = body.get("parameters", {})
    if parameters is None:
        raise intake.IntakeError(400, "parameters: This field may not be null.")
    if not isinstance(parameters, dict):
        kind = type(parameters).__name__
        raise intake.IntakeError(
            400, f'parameters: Expected a dictionary of items but got type "{kind}".'
        )
    return parameters


class WebhookView(APIView):
    """Shared plumbing: parse, authenticate the connection, shape errors as FlowLink expects."""

    route = ""
    # Whether handle() stores the route's flow configuration: it is then read along
    # with the connection (one query for both).
    stores_flow_config = True
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    def post(self, request: Request) -> Response:
        request_id = None
        try:
            # Not request.data: DRF would pick a parser by Content-Type, which FlowLink may
            # omit, and read an unbounded body with a recursive parser.
            raw = webhook_body.read(request._request, settings.WEBHOOK_MAX_BODY_BYTES)
            body = webhook_body.parse(raw, settings.WEBHOOK_MAX_DEPTH)
            if not isinstance(body, dict):
                raise intake.IntakeError(400, "body: must be a JSON object")
            request_id = webhook_body.request_id(body)
            webhook_body.check_values(body, raw)
            connection = self.authenticate(request, body)
            # Every write of one request commits together or not at all: a refusal found
            # late (or a crash) leaves no poll or flow configuration behind.
            with transaction.atomic():
                return self.handle(request_id, body, connection)
        except intake.IntakeError as exc:
            return Response({"request_id": request_id, "summary": exc.summary}, status=exc.status)
        except Exception:
            log.exception("webhook /%s failed", self.route)
            return Response(
                {"request_id": request_id, "summary": "Internal error; nothing was stored"},
                status=status.HTTP_500_INTERNAL_SERVER_ERROR,
            )

    def authenticate(self, request: Request, body: dict[str, Any]) -> Connection:
        return intake.resolve_connection(
            request.headers.get("X-Hub-Store"),
            request.headers.get("X-Hub-Token"),
            envelope_parameters(body),
            flow=self.route if self.stores_flow_config else "",
        )

    def handle(self, request_id: Any, body: dict[str, Any], connection: Connection) -> Response:
        raise NotImplementedError


class AddResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    request_id = serializers.CharField(allow_null=True)
    summary = serializers.CharField()


# Every refusal has the same shape: the request_id (null until known) and what was wrong.
REFUSALS = {code: AddResponseSerializer for code in (400, 401, 406, 411, 413)}


class NotifyingAddResponseSerializer(AddResponseSerializer):
    """set_inventory / add_inventories: no echo, pending notifications instead (§5.3)."""

    success = serializers.ListField(child=serializers.DictField(), required=False)
    # FlowLink's name; it shadows Serializer.fail() only for mypy: DRF moves fields off the class.
    fail = serializers.ListField(  # type: ignore[assignment]
        child=serializers.DictField(), required=False
    )


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI schema says of one route (read by RouteSchema)."""

    request: Any
    responses: dict[int, Any]
    description: str


class RoutedView(WebhookView):
    """A view class serving several routes: urls.py builds one per route, as_view(route=...)."""

    def operation(self) -> Operation:
        raise NotImplementedError


class RouteSchema(AutoSchema):
    """The OpenAPI operation of one route of a RoutedView, named after the route.

    The route is known to the view instance only, so the operation is read from it: a
    decorator on the shared class (or its post) would give every route the same one.
    """

    def routed(self) -> RoutedView:
        return cast(RoutedView, self.view)

    def get_operation_id(self) -> str:
        return self.routed().route

    def get_override_parameters(self) -> list[Any]:
        return HEADERS

    def get_request_serializer(self) -> Any:
        return self.routed().operation().request

    def get_response_serializers(self) -> Any:
        return self.routed().operation().responses

    def get_description(self) -> str:  # type: ignore[override]  # as AutoSchema: no path, method
        return self.routed().operation().description


class AddObjectsView(RoutedView):
    """add_* routes: store every object, answer with the summary and the echo."""

    schema = RouteSchema()

    def handle(self, request_id: Any, body: dict[str, Any], connection: Connection) -> Response:
        return self.accept(request_id, body, connection)

    def accept(
        self,
        request_id: Any,
        body: dict[str, Any],
        connection: Connection,
        custom: CustomRoute | None = None,
    ) -> Response:
        default_type = custom.payload_type if custom is not None else ""
        parameters = body.get("parameters") or {}
        _, key, _ = intake.mapper_for_request(self.route, parameters, default_type)
        webhook_body.check_types(body.get(key), key)
        accepted = intake.accept(connection, self.route, body, custom)
        data: dict[str, Any] = {"request_id": request_id, "summary": accepted.summary}
        if accepted.echo:
            data[accepted.echo_key] = accepted.echo
        if accepted.with_notifications:
            data.update(drained_notifications(connection, request_id))
        return Response(data)

    def operation(self) -> Operation:
        mapper = intake.route_type(self.route)
        ok = (
            NotifyingAddResponseSerializer
            if mapper.answers_with_notifications
            else AddResponseSerializer
        )
        return Operation(
            request=add_input(self.route),
            responses={200: ok, **REFUSALS},
            description=f"Queue {intake.WRITE_ROUTES[self.route]} objects for QuickBooks Desktop.",
        )


class CustomRouteView(AddObjectsView):
    """An operator's route (objects.models.CustomRoute): accepted exactly as the built-in
    route of its type, with its own mapping; 404 for a connection that has no such route.
    Its operations enter the OpenAPI schema from the table (objects.openapi)."""

    schema = None  # type: ignore[assignment]  # drf-spectacular: excluded from the generator

    def post(self, request: Request, route: str = "") -> Response:
        self.route = route
        return super().post(request)

    def handle(self, request_id: Any, body: dict[str, Any], connection: Connection) -> Response:
        custom = (
            CustomRoute.objects.filter(connection=connection, route=self.route)
            .select_related("mapping")
            .first()
        )
        if custom is None:
            raise intake.IntakeError(404, f"/{self.route}: this connection has no such route")
        return self.accept(request_id, body, connection, custom)


@functools.cache
def add_input(route: str) -> serializers.Serializer:  # type: ignore[type-arg]
    """The request body of an add_* route: the envelope and its payload key (built once, so
    the schema has one component per route)."""
    payload_type = intake.WRITE_ROUTES[route]
    # Fields are ordered by creation: the envelope's copies first, then the payload.
    fields = EnvelopeSerializer().get_fields()
    fields[payload_type] = serializers.JSONField(
        required=False, help_text=f"The {payload_type} (an object, or an array of them)"
    )
    return inline_serializer(name=f"{route.title().replace('_', '')}Input", fields=fields)


def drained_notifications(connection: Connection, request_id: Any) -> dict[str, Any]:
    """The `success`/`fail` arrays of flowlink §10.1 (each omitted when empty)."""
    batch = Notification.objects.drain(connection, None if request_id is None else str(request_id))
    data: dict[str, Any] = {}
    success = [n.as_flowlink() for n in batch if n.kind == Notification.Kind.SUCCESS]
    fail = [n.as_flowlink() for n in batch if n.kind == Notification.Kind.FAILURE]
    if success:
        data["success"] = success
    if fail:
        data["fail"] = fail
    return data


class NotificationsResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    request_id = serializers.CharField(allow_null=True)
    summary = serializers.CharField()
    success = serializers.ListField(child=serializers.DictField(), required=False)
    # FlowLink's name; it shadows Serializer.fail() only for mypy: DRF moves fields off the class.
    fail = serializers.ListField(  # type: ignore[assignment]
        child=serializers.DictField(), required=False
    )


class NotificationsView(WebhookView):
    route = "get_notifications"

    @extend_schema(
        operation_id="get_notifications",
        request=EnvelopeSerializer,
        responses={200: NotificationsResponseSerializer, **REFUSALS},
        parameters=HEADERS,
        description="Success and failure messages of earlier writes, each handed out once; "
        "repeating a request_id replays the same set.",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def handle(self, request_id: Any, body: dict[str, Any], connection: Connection) -> Response:
        FlowConfig.objects.store(connection, self.route, body.get("parameters") or {}, force=False)
        data: dict[str, Any] = {"request_id": request_id, "summary": "Notifications retrieved"}
        data.update(drained_notifications(connection, request_id))
        return Response(data)


class HealthCheckResponseSerializer(AddResponseSerializer):
    # The backend's view of the company (QuickBooks Online: its CompanyInfo); absent
    # when the backend has none.
    details = serializers.DictField(required=False)


class HealthCheckView(WebhookView):
    route = "get_health_check"
    stores_flow_config = False

    @extend_schema(
        operation_id="get_health_check",
        request=EnvelopeSerializer,
        responses={
            200: HealthCheckResponseSerializer,
            500: HealthCheckResponseSerializer,
            **REFUSALS,
        },
        parameters=HEADERS,
        description="200 while the Web Connector called within "
        "parameters.health_check_threshold_in_minutes (default: the connection's threshold), "
        "500 otherwise.",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def handle(self, request_id: Any, body: dict[str, Any], connection: Connection) -> Response:
        parameters = body.get("parameters") or {}
        raw = parameters.get("health_check_threshold_in_minutes")
        threshold: float | None = None
        if raw is not None and raw != "":
            try:
                threshold = float(raw)
            except (TypeError, ValueError):
                threshold = 0.0  # upstream's to_i of a non-number
        healthy = connection.is_healthy(threshold, timezone.now())
        answer: dict[str, Any] = {
            "request_id": request_id,
            "summary": f"Health check was {'' if healthy else 'not '}successful",
        }
        details = backend_for(connection).health_details(connection)
        if details:
            answer["details"] = details
        if healthy:
            return Response(answer)
        return Response(answer, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


# -- get_* routes: pulls from QuickBooks (objects.pulls; docs/pulls.md) --------------------


class GetResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    request_id = serializers.CharField(allow_null=True)
    summary = serializers.CharField(required=False)
    parameters = serializers.DictField()
    success = serializers.ListField(child=serializers.DictField(), required=False)
    # FlowLink's name; it shadows Serializer.fail() only for mypy: DRF moves fields off the class.
    fail = serializers.ListField(  # type: ignore[assignment]
        child=serializers.DictField(), required=False
    )


class GetRecordsView(RoutedView):
    """get_* routes: register the poll, hand out buffered records, drain notifications."""

    schema = RouteSchema()

    def handle(self, request_id: Any, body: dict[str, Any], connection: Connection) -> Response:
        try:
            handout = pulls.hand_out(
                connection,
                self.route,
                body.get("parameters") or {},
                None if request_id is None else str(request_id),
                timezone.now(),
            )
        except pulls.PullError as exc:
            raise intake.IntakeError(400, str(exc)) from exc
        data: dict[str, Any] = {"request_id": request_id}
        parameters: dict[str, Any] = {"quickbooks_force_config": False}
        if handout.records:
            data["summary"] = f"Received {handout.object_type} records from quickbooks"
            data[handout.response_key] = handout.records
        if handout.since is not None:
            parameters["quickbooks_since"] = handout.since
        data["parameters"] = parameters
        data.update(drained_notifications(connection, request_id))
        # 206 while more remain after this page; 200 also when exactly one page was left.
        more = bool(handout.records) and handout.more
        return Response(
            data, status=status.HTTP_206_PARTIAL_CONTENT if more else status.HTTP_200_OK
        )

    def operation(self) -> Operation:
        return Operation(
            request=EnvelopeSerializer,
            responses={200: GetResponseSerializer, 206: GetResponseSerializer, **REFUSALS},
            description="Register what to pull from QuickBooks for this route and hand out, "
            "oldest first, up to parameters.page_size records pulled by earlier Web Connector "
            "runs (206 while more remain); repeating a request_id replays the same page.",
        )
