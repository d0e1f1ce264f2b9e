"""Upload size limit while the body streams in, and file checks before storing."""
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from courseproj.courses.limits import Limit

# Enough bytes to recognise a format by its content.
SNIFF_BYTES = 8192
ORIGINAL_NAME_MAX = 120

# Each proposal queues a profile of up to PROFILE_HARD_TIME_LIMIT (150 s) of a
# worker. A student proposes one to three datasets, and may fix a file or a
# target a few times: 10 an hour is room for that, while one student cannot
# hold the workers for more than about 25 minutes an hour (50 across a window's edge).
PROPOSALS_PER_STUDENT = Limit(
    "proposals", 10, 3600, "You proposed 10 datasets within an hour, the limit. Wait a while before proposing another."
)


class CappedUploadHandler(FileUploadHandler):
    """Stops reading a file as soon as it passes UPLOAD_MAX_BYTES.

    The middleware refuses bodies whose Content-Length is too big; this catches
    chunked uploads that declare no length. The view reports the flag as a
    form error.
    """

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.UPLOAD_MAX_BYTES:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@dataclass(frozen=True)
class FileFacts:
    content_hash: str
    size_bytes: int
    head: bytes


def file_facts(uploaded) -> FileFacts:
    """Hash the whole file in chunks (never all in memory) and keep its first bytes."""
    digest = hashlib.sha256()
    head = b""
    size = 0
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        digest.update(chunk)
        size += len(chunk)
    uploaded.seek(0)
    return FileFacts(content_hash=digest.hexdigest(), size_bytes=size, head=head)


def display_name(name: str) -> str:
    """The user's file name, for display only: no path, no control or bidi characters, truncated."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    if len(cleaned) > ORIGINAL_NAME_MAX:
        cleaned = cleaned[: ORIGINAL_NAME_MAX - 1] + "…"
    return cleaned or "upload"
