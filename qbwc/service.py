"""The SOAP 1.1 service the QuickBooks Web Connector calls (qbwc-protocol §4).

Method and parameter names are the contract: spyne turns the Python names into the
element names QBWC sends and expects. Each method only translates to qbwc.loop;
any unexpected error is logged and answered inside the protocol (never a fault,
never null), because a fault ends the user's whole Web Connector run.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, TypeVar

from spyne import Application, Array, Integer, ServiceBase, Unicode, rpc
from spyne import const as spyne_const
from spyne.protocol.soap import Soap11

from qbwc import loop
from qbwc.models import new_ticket

log = logging.getLogger(__name__)

# spyne runs a full gc.collect() when a call ends, at most once a second per process, so
# that file uploads it parsed give their descriptors back. qbsync takes none, and in a busy
# gunicorn worker those collections were about a third of its CPU (py-spy during
# `python -m bench companies`, docs/benchmarks.md). Python's own collector still runs.
spyne_const.MIN_GC_INTERVAL = math.inf

NAMESPACE = "http://developer.intuit.com/"


_T = TypeVar("_T")


def guarded(fallback: _T | Callable[[], _T], func: Callable[..., _T], *args: Any) -> _T:
    """Call into qbwc.loop; an unexpected error becomes the protocol's safe answer."""
    try:
        return func(*args)
    except Exception:
        log.exception("Web Connector call %s failed", getattr(func, "__name__", func))
        return fallback() if callable(fallback) else fallback


_LAST_ERROR_FALLBACK = "qbsync could not read its own error; see the server log"


# The WSGI environ key qbwc.views stores the AppURL's connection id under (None for /qbwc/).
APP_CONNECTION_KEY = "qbsync.app_connection_id"


def app_connection(ctx: Any) -> str | None:
    """The connection id of the AppURL this call came to (/qbwc/<id>/), None for /qbwc/."""
    environ = getattr(ctx.transport, "req", None)
    value = environ.get(APP_CONNECTION_KEY) if isinstance(environ, dict) else None
    return value if isinstance(value, str) else None


def _busy() -> list[str]:
    return [new_ticket(), "busy", loop.BUSY_POSTPONE_SECONDS]


class QBWebConnectorSvc(ServiceBase):  # type: ignore[misc]
    @rpc(_returns=Unicode)
    def serverVersion(ctx: Any) -> str:  # noqa: N802, N805
        return guarded("", loop.server_version)

    @rpc(Unicode, _returns=Unicode)
    def getServerVersion(ctx: Any, ticket: str | None) -> str:  # noqa: N802, N805
        return guarded("", loop.server_version)

    @rpc(Unicode, _returns=Unicode)
    def clientVersion(ctx: Any, strVersion: str | None) -> str:  # noqa: N802, N803, N805
        return guarded("", loop.client_version_reply, strVersion or "")

    @rpc(Unicode, Unicode, _returns=Array(Unicode))
    def authenticate(ctx: Any, strUserName: str | None, strPassword: str | None) -> list[str]:  # noqa: N803, N805
        return guarded(_busy, loop.authenticate, strUserName, strPassword, app_connection(ctx))

    @rpc(Unicode, Unicode, Unicode, Unicode, Integer, Integer, _returns=Unicode)
    def sendRequestXML(  # noqa: N802, N805
        ctx: Any,
        ticket: str | None,
        strHCPResponse: str | None,  # noqa: N803
        strCompanyFileName: str | None,  # noqa: N803
        qbXMLCountry: str | None,  # noqa: N803
        qbXMLMajorVers: int | None,  # noqa: N803
        qbXMLMinorVers: int | None,  # noqa: N803
    ) -> str:
        return guarded(
            "",
            loop.send_request,
            ticket,
            strHCPResponse,
            strCompanyFileName,
            qbXMLCountry,
            qbXMLMajorVers,
            qbXMLMinorVers,
            app_connection(ctx),
        )

    @rpc(Unicode, Unicode, Unicode, Unicode, _returns=Integer)
    def receiveResponseXML(  # noqa: N802, N805
        ctx: Any, ticket: str | None, response: str | None, hresult: str | None, message: str | None
    ) -> int:
        return guarded(
            -101, loop.receive_response, ticket, response, hresult, message, app_connection(ctx)
        )

    @rpc(Unicode, Unicode, Unicode, _returns=Unicode)
    def connectionError(  # noqa: N802, N805
        ctx: Any, ticket: str | None, hresult: str | None, message: str | None
    ) -> str:
        return guarded("done", loop.connection_error, ticket, hresult, message, app_connection(ctx))

    @rpc(Unicode, _returns=Unicode)
    def getLastError(ctx: Any, ticket: str | None) -> str:  # noqa: N802, N805
        return guarded(_LAST_ERROR_FALLBACK, loop.last_error, ticket, app_connection(ctx))

    @rpc(Unicode, _returns=Unicode)
    def closeConnection(ctx: Any, ticket: str | None) -> str:  # noqa: N802, N805
        return guarded("OK", loop.close_connection, ticket, app_connection(ctx))

    # Interactive mode is never requested by qbsync; QBWC may still call these.
    @rpc(Unicode, Unicode, _returns=Unicode)
    def getInteractiveURL(ctx: Any, wcTicket: str | None, sessionID: str | None) -> str:  # noqa: N802, N803, N805
        return ""

    @rpc(Unicode, _returns=Unicode)
    def interactiveDone(ctx: Any, wcTicket: str | None) -> str:  # noqa: N802, N803, N805
        return "Done"

    @rpc(Unicode, Unicode, _returns=Unicode)
    def interactiveRejected(ctx: Any, wcTicket: str | None, reason: str | None) -> str:  # noqa: N802, N803, N805
        return "qbsync does not use interactive mode"


application = Application(
    [QBWebConnectorSvc],
    tns=NAMESPACE,
    name="QBWebConnectorSvc",
    # huge_tree: one text node (the qbXML of a large answer) may pass libxml2's 10 MB
    # default; qbwc.wire bounds the whole body and refuses DTDs before spyne parses.
    in_protocol=Soap11(validator="lxml", huge_tree=True),
    out_protocol=Soap11(),
)
