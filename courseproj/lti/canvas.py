"""Circles into Canvas groups through its REST API: group set → groups → memberships, idempotent.

The instructor's access token is passed in for one push and never stored. Users are
named by Canvas's id for the LTI 1.3 subject (`lti_1_3_id:<sub>`), so no Canvas user
id is needed. Pushing the same circles twice makes no write the second time. No
database here: `courseproj.lti.services` records what a push did.
"""

from dataclasses import dataclass, field
from urllib.parse import quote

import requests

TIMEOUT = 15
PER_PAGE = 100


class CanvasError(Exception):
    """Canvas refused a call; the message says which, for the instructor."""


@dataclass
class PushReport:
    category_id: int = 0
    created_category: bool = False
    created_groups: list[str] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    not_found: list[str] = field(default_factory=list)  # subjects Canvas does not know
    canvas_ids: dict[str, int] = field(default_factory=dict)  # LTI subject -> Canvas user id

    @property
    def writes(self) -> int:
        return int(self.created_category) + len(self.created_groups) + self.added + self.removed


class CanvasClient:
    def __init__(self, base_url: str, token: str, *, session: requests.Session | None = None):
        self.api = base_url.rstrip("/") + "/api/v1"
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        url = path if path.startswith("http") else self.api + path
        try:
            response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise CanvasError(f"Canvas did not answer: {exc}") from exc
        if response.status_code == 401:
            raise CanvasError("Canvas refused the access token (expired, or not yours).")
        return response

    def list(self, path: str) -> list[dict]:
        items, url, params = [], path, {"per_page": PER_PAGE}
        while url:
            response = self._call("GET", url, params=params)
            if response.status_code != 200:
                raise CanvasError(f"Canvas answered {response.status_code} to GET {path}")
            items.extend(response.json())
            url, params = response.links.get("next", {}).get("url"), None
        return items

    def create(self, path: str, data: dict) -> requests.Response:
        return self._call("POST", path, data=data)


def push_circles(
    client: CanvasClient,
    *,
    course_id: str,
    category_name: str,
    circles: dict[str, list[str]],
    known_ids: dict[str, int] | None = None,
) -> PushReport:
    """Make Canvas's group set `category_name` hold exactly `circles` ({group name: [LTI subjects]}).

    `known_ids` (LTI subject -> Canvas user id, from the last push's report) lets a
    push see that a member is already in place without asking Canvas; subjects not
    in it are added by `lti_1_3_id:` and their Canvas id comes back in `report.canvas_ids`.
    """
    report = PushReport(canvas_ids=dict(known_ids or {}))
    category = _category(client, course_id, category_name, report)
    report.category_id = category["id"]
    groups: dict[str, dict] = {}
    for group in client.list(f"/group_categories/{category['id']}/groups"):
        groups.setdefault(group["name"], group)  # a duplicate made by hand: the oldest one is ours
    for name in circles:
        if name not in groups:
            response = client.create(f"/group_categories/{category['id']}/groups", {"name": name})
            if response.status_code != 200:
                raise CanvasError(f"Canvas refused the group {name!r} ({response.status_code})")
            groups[name] = response.json()
            report.created_groups.append(name)
    present = {name: {m["user_id"] for m in client.list(f"/groups/{g['id']}/memberships")} for name, g in groups.items()}
    moved: set[int] = set()
    for name, subs in circles.items():
        for sub in subs:
            if report.canvas_ids.get(sub) in present[name]:
                continue
            response = client.create(f"/groups/{groups[name]['id']}/memberships", {"user_id": f"lti_1_3_id:{sub}"})
            if response.status_code == 404:
                report.not_found.append(sub)
                continue
            if response.status_code != 200:
                raise CanvasError(f"Canvas refused a member of {name!r} ({response.status_code})")
            user_id = response.json()["user_id"]
            report.canvas_ids[sub] = user_id
            if user_id not in present[name]:
                report.added += 1
                moved.add(user_id)  # Canvas took them out of any other group of the set
    wanted = {report.canvas_ids[sub]: name for name, subs in circles.items() for sub in subs if sub in report.canvas_ids}
    for name, group in groups.items():
        for user_id in sorted(present[name]):
            if wanted.get(user_id) == name or user_id in moved:
                continue
            response = client._call("DELETE", f"/groups/{group['id']}/users/{user_id}")
            if response.status_code != 200:
                raise CanvasError(f"Canvas refused to remove a member of {name!r} ({response.status_code})")
            report.removed += 1
    return report


def _category(client: CanvasClient, course_id: str, name: str, report: PushReport) -> dict:
    path = f"/courses/{quote(str(course_id))}/group_categories"
    for category in client.list(path):
        if category["name"] == name:
            return category
    response = client.create(path, {"name": name})
    if response.status_code == 200:
        report.created_category = True
        return response.json()
    for category in client.list(path):  # made by a push running at the same time
        if category["name"] == name:
            return category
    raise CanvasError(f"Canvas refused the group set {name!r} ({response.status_code})")
