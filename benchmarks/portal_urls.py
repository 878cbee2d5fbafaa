"""jitsuin's URLs plus ``/bench/trivial/``: a signed-in page that does nothing else."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.cache import never_cache

from jitsuin.urls import handler500
from jitsuin.urls import urlpatterns as jitsuin_urls

__all__ = ["handler500", "urlpatterns"]


@never_cache
@login_required
def trivial(request: HttpRequest) -> HttpResponse:
    """The user from the session (as every portal page has it), and a few bytes."""
    return HttpResponse(f"signed in as {request.user.get_username()}\n")


urlpatterns = [path("bench/trivial/", trivial), *jitsuin_urls]
