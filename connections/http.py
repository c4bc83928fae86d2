"""All outbound HTTP of qbsync goes through here: the single patch point for tests."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

import qbsync


@dataclass(frozen=True)
class Response:
    status: int
    body: str


class DeliveryError(Exception):
    """The receiver could not be reached or did not answer 2xx."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET without the body and report
    # success; a redirect is a misconfigured receiver, so it fails the attempt.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST a JSON body; raise DeliveryError unless the receiver answers 2xx."""
    request = urllib.request.Request(
        url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "User-Agent": f"qbsync/{qbsync.__version__}",
            **headers,
        },
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as answer:
            text = answer.read(2000).decode("utf-8", errors="replace")
            return Response(answer.status, text)
    except urllib.error.HTTPError as exc:
        text = exc.read(500).decode("utf-8", errors="replace")
        raise DeliveryError(f"HTTP {exc.code} from receiver: {text.strip()[:200]}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"could not reach receiver: {reason}") from exc
