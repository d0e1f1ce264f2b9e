"""Names and Role Provisioning: every page of a context's members.

PyLTI1p3 2.0.0's pager lowercases the `Link` header before reading the next URL
(a URL with capitals, as Moodle's, breaks on page 2), so this module pages itself
and uses PyLTI1p3 only for the access token (a JWT client assertion signed with
the tool's key). No database here: `courseproj.lti.services.roster_sync` stores.
"""

import requests
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 100
TIMEOUT = 10


class NrpsError(Exception):
    """The platform did not give the roster; the message says why, for the staff page."""


def fetch_members(registration: Registration, memberships_url: str, *, session: requests.Session | None = None) -> tuple[list[dict], int]:
    """All members of the context (following `rel="next"` as given) and the number of pages read."""
    session = session or requests.Session()
    connector = ServiceConnector(registration, requests_session=session)
    try:
        token = connector.get_access_token([SCOPE])
    except Exception as exc:  # PyLTI1p3 raises its own exception with the response; network errors are requests'
        raise NrpsError(f"the platform refused an access token: {exc}") from exc
    members: list[dict] = []
    url, pages = memberships_url, 0
    while url:
        if pages == MAX_PAGES:
            raise NrpsError(f"more than {MAX_PAGES} pages of members")
        try:
            response = session.get(
                url, headers={"Authorization": f"Bearer {token}", "Accept": MEDIA_TYPE}, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise NrpsError(f"the platform did not answer: {exc}") from exc
        if response.status_code != 200:
            raise NrpsError(f"the platform answered {response.status_code} for page {pages + 1}")
        members.extend(response.json().get("members") or [])
        pages += 1
        url = response.links.get("next", {}).get("url")
    return members, pages
