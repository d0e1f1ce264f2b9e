from django.conf import settings
from django.shortcuts import render

# Room for the other form fields and multipart boundaries around the file.
FORM_OVERHEAD_BYTES = 256 * 1024


class UploadSizeLimitMiddleware:
    """Refuse an oversized upload from its Content-Length, before reading the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.method == "POST" and length > settings.UPLOAD_MAX_BYTES + FORM_OVERHEAD_BYTES:
            limit_mb = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
            response = render(request, "413.html", {"limit_mb": limit_mb}, status=413)
            # The rest of the body is never read: close the connection after answering.
            # wsgiref (runserver, the demo's server) refuses hop-by-hop headers from
            # the app (a 500); it reads the rest of the body and closes by itself.
            if not request.META.get("SERVER_SOFTWARE", "").startswith("WSGIServer/"):
                response["Connection"] = "close"
            return response
        return self.get_response(request)
