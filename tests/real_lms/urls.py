"""The test LMS's URLs: edx_proctoring's own, mounted as edx-platform mounts them
(``path('api/', include('edx_proctoring.urls'))``), and the two LMS views they rely on."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path

from tests.real_lms.oauth import access_token


def jump_to(request: HttpRequest, course_id: str, location: str) -> HttpResponse:
    """The courseware page edx_proctoring links an exam to (``reverse('jump_to')``)."""
    return HttpResponse(f"{course_id} {location}")


urlpatterns = [
    path("api/", include("edx_proctoring.urls")),
    path("oauth2/access_token", access_token, name="access_token"),
    re_path(
        rf"^courses/{settings.COURSE_ID_PATTERN}/jump_to/(?P<location>.*)$", jump_to, name="jump_to"
    ),
]
