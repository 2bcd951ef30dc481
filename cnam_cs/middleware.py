"""Cross-cutting HTTP behaviour."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class PrivateCacheMiddleware:
    """Personal pages and PDFs must not survive sign-out in a browser cache (Back button).

    Every response to a signed-in user, and every attachment, gets ``Cache-Control: no-store``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        is_private = (user is not None and user.is_authenticated) or response.get(
            "Content-Disposition", ""
        ).startswith("attachment")
        if is_private:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response
