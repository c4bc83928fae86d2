"""The operators' custom routes in the OpenAPI schema (a drf-spectacular postprocessing hook).

A custom route is a row, not a URL pattern of its own, so the schema generator cannot see
it: each route name gets a copy of the operation of its type's built-in route, with its
own operationId (route names never take a built-in name, so ids stay unique).
"""

from __future__ import annotations

import copy
from typing import Any

from objects import intake
from objects.models import CustomRoute


def add_custom_routes(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    if request is None:
        # Built without a request: drf-spectacular's system check and `manage.py
        # spectacular`, at build time, where the table is not the deployment's (and no
        # database need be reachable). The schema served at /api/schema/ reads it.
        return result
    routes = list(CustomRoute.objects.order_by("route", "pk"))
    paths = result.setdefault("paths", {})
    seen: set[str] = set()
    for custom in routes:
        if custom.route in seen:
            continue  # another connection's route of the same name: one operation per path
        seen.add(custom.route)
        model = paths.get(f"/{built_in_route(custom.object_type)}", {}).get("post")
        if model is None:
            continue
        operation = copy.deepcopy(model)
        operation["operationId"] = custom.route
        operation["description"] = (
            f"Custom route: queue {custom.payload_type} objects (sent under "
            f"`{custom.payload_type}`) as /{built_in_route(custom.object_type)} does, with "
            "the connection's own field mapping. Connections without this route get 404."
        )
        paths[f"/{custom.route}"] = {"post": operation}
    return result


def built_in_route(object_type: str) -> str:
    """The built-in add_* route of a type (its add_<type> one when there are several)."""
    routes = [
        route
        for route in intake.WRITE_ROUTES
        if intake.route_type(route).object_type == object_type
    ]
    preferred = f"add_{object_type}"
    return preferred if preferred in routes else routes[0]
