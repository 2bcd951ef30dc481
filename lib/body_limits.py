"""Request bodies refused before they are read (SECURITY.md #30).

A view states how many bytes of files its form takes with ``@body_limit``; every other view
takes ``settings.MAX_UPLOAD_BYTES``. ``BodyLimitMiddleware`` sits before CsrfViewMiddleware,
which would otherwise read the whole body to find the token: it runs the view's gate (a
throttle) first, then compares the declared Content-Length with the limit, and only then
parses the body, through an upload handler that stops reading once the files pass the limit.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]
Gate = Callable[[HttpRequest], HttpResponseBase | None]

# Room for an upload form's other fields (token, reason…) and the multipart framing.
MULTIPART_ALLOWANCE = 16 * 1024
MEBIBYTE = 1024 * 1024
# Methods that never carry a body Django would read.
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_GUARDED = "_body_limit_guarded"


@dataclass(frozen=True)
class BodyRule:
    """What one view accepts: a file limit (read at request time, settings may change it)
    and a gate answered before the body is touched."""

    max_file_bytes: Callable[[], int]
    gate: Gate | None = None


DEFAULT_RULE = BodyRule(max_file_bytes=lambda: int(settings.MAX_UPLOAD_BYTES))


class LimitedUploadHandler(FileUploadHandler):
    """Counts the file bytes of one request; past the limit it stops reading the body.

    Content-Length is checked beforehand; this counts what is actually read, so a file
    bigger than the form allows inside a body that fits (or a server streaming more than was
    declared) stops at the limit.
    """

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            # connection_reset: the parser must not drain the rest of the body either.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def size_label(size: int) -> str:
    """« 10 Mo » for whole mebibytes, Django's localised size otherwise."""
    if size >= MEBIBYTE and size % MEBIBYTE == 0:
        return _("%(n)s Mo") % {"n": size // MEBIBYTE}
    return str(filesizeformat(size)).replace("\xa0", " ")


def declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # Django reads nothing of a body whose length it cannot parse


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    # django.request already warns of the 413; this line adds the sizes.
    logger.info(
        "Request body refused: %s bytes declared, %s allowed, path %r",
        declared_length(request),
        limit,
        request.path,
    )
    return render(request, "413.html", {"limit": size_label(limit)}, status=413)


def guard(request: HttpRequest, rule: BodyRule) -> HttpResponseBase | None:
    """The gate, the declared length, then the body through a limited handler; None when
    the view may go on. Runs once per request (middleware, else the view's decorator)."""
    if getattr(request, _GUARDED, False) or request.method in _BODILESS:
        return None
    setattr(request, _GUARDED, True)
    if rule.gate is not None and (refusal := rule.gate(request)) is not None:
        return refusal
    limit = rule.max_file_bytes()
    if declared_length(request) > limit + MULTIPART_ALLOWANCE:
        return too_large(request, limit)
    if request.method == "POST" and request.content_type == "multipart/form-data":
        handler = LimitedUploadHandler(request, limit)
        request.upload_handlers.insert(0, handler)
        # Parsed here, not by whoever touches request.POST first, so an overflow is a 413.
        request.POST  # noqa: B018
        if handler.exceeded:
            return too_large(request, limit)
    return None


def body_limit(
    max_file_bytes: Callable[[], int], *, gate: Gate | None = None
) -> Callable[[View], View]:
    """The view's own file limit (and gate, e.g. a throttle), applied before its body is read."""
    rule = BodyRule(max_file_bytes=max_file_bytes, gate=gate)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            refusal = guard(request, rule)
            return refusal if refusal is not None else view(request, *args, **kwargs)

        # Read by BodyLimitMiddleware; functools.wraps carries it through outer decorators.
        wrapper.body_rule = rule  # type: ignore[attr-defined]
        return wrapper

    return decorator


class BodyLimitMiddleware:
    """Applies the view's BodyRule (or the default) before any other middleware reads the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: View,
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        return guard(request, getattr(view_func, "body_rule", DEFAULT_RULE))
