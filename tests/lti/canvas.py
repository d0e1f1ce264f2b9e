"""A fake Canvas REST API for the group push: group categories, groups, memberships.

Only the calls a tool needs to push circles as groups, behaving as Canvas does
(``/api/v1``, bearer token, ``per_page`` paging with a ``Link`` header and a
default page of 10, form or JSON bodies, users referenced by id or by
``sis_user_id:``/``sis_login_id:``/``lti_1_3_id:``):

- ``POST/GET /api/v1/courses/<course>/group_categories``
- ``POST/GET /api/v1/group_categories/<category>/groups``
- ``POST/GET /api/v1/groups/<group>/memberships``
- ``DELETE   /api/v1/groups/<group>/users/<user>`` and ``/memberships/<membership>``

Like Canvas: a group-set (category) name is unique in its course (a second one
is a 400), group names are not (creating "Circle 1" twice makes two groups),
and a user is in at most one group of a category (joining another moves them).
Idempotence is the tool's job; `calls` records every request so tests can
count what the tool did, and `end_state` is what a teacher would see.
"""

from __future__ import annotations

import itertools
import threading
import urllib.parse
from dataclasses import dataclass

from tests.lti.loopback import JsonHandler, LoopbackServer


@dataclass
class Call:
    method: str
    path: str
    params: list[tuple[str, str]]
    status: int = 0


class CanvasError(Exception):
    def __init__(self, status: int, body):
        super().__init__(str(body))
        self.status, self.body = status, body


NOT_FOUND = {"errors": [{"message": "The specified resource does not exist."}]}


class FakeCanvas:
    """One Canvas course with enrolled users; `token` is the only access token it accepts."""

    def __init__(self, *, course_id: int = 4242, users: list[dict] | None = None, token: str = "canvas-test-token"):
        self.course_id = course_id
        self.token = token
        # id -> {"id", "name", "login_id", "sis_user_id", "lti_1_3_id", "email"}
        self.users: dict[int, dict] = {u["id"]: u for u in (users or [])}
        self.categories: dict[int, dict] = {}
        self.groups: dict[int, dict] = {}
        self.memberships: dict[int, dict] = {}
        self.calls: list[Call] = []
        self._ids = itertools.count(101)
        self._lock = threading.Lock()
        self._loopback = LoopbackServer("fake-canvas")

    @classmethod
    def for_people(cls, people, **kwargs) -> FakeCanvas:
        """A course whose users are the test platform's `Person`s (their LTI sub is `lti_1_3_id`)."""
        users = [
            {
                "id": 9000 + n,
                "name": p.name,
                "login_id": p.login_id,
                "sis_user_id": f"SIS-{p.login_id}" if p.login_id else None,
                "lti_1_3_id": p.user_id,
                "email": p.email,
            }
            for n, p in enumerate(people, start=1)
        ]
        return cls(users=users, **kwargs)

    # --- lifecycle ---

    @property
    def url(self) -> str:
        return self._loopback.url

    def start(self) -> FakeCanvas:
        self._loopback.start(type("CanvasHandler", (_Handler,), {"canvas": self}))
        return self

    def stop(self) -> None:
        self._loopback.stop()

    def __enter__(self) -> FakeCanvas:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what a teacher would see in Canvas ---

    def end_state(self) -> dict[str, dict[str, list[int]]]:
        """{group set name: {group name: sorted user ids}}; duplicate group names show as "name (2)"."""
        state: dict[str, dict[str, list[int]]] = {}
        for category in sorted(self.categories.values(), key=lambda c: c["id"]):
            groups: dict[str, list[int]] = {}
            for group in sorted(self.groups.values(), key=lambda g: g["id"]):
                if group["group_category_id"] != category["id"]:
                    continue
                name, n = group["name"], 2
                while name in groups:
                    name, n = f"{group['name']} ({n})", n + 1
                groups[name] = sorted(
                    m["user_id"] for m in self.memberships.values() if m["group_id"] == group["id"]
                )
            state[category["name"]] = groups
        return state

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method in ("POST", "PUT", "DELETE")]

    # --- the API ---

    def _next_id(self) -> int:
        return next(self._ids)

    def resolve_user(self, ref: str) -> dict:
        ref = str(ref)
        prefixes = {"sis_user_id:": "sis_user_id", "sis_login_id:": "login_id", "lti_1_3_id:": "lti_1_3_id"}
        for prefix, attribute in prefixes.items():
            if ref.startswith(prefix):
                value = urllib.parse.unquote(ref[len(prefix) :])
                for user in self.users.values():
                    if user.get(attribute) == value:
                        return user
                raise CanvasError(404, NOT_FOUND)
        if ref.isdigit() and int(ref) in self.users:
            return self.users[int(ref)]
        raise CanvasError(404, NOT_FOUND)

    def _course(self, ref: str) -> None:
        if ref not in (str(self.course_id), f"sis_course_id:SIS-{self.course_id}"):
            raise CanvasError(404, NOT_FOUND)

    def _get(self, table: dict, ref: str) -> dict:
        if not ref.isdigit() or int(ref) not in table:
            raise CanvasError(404, NOT_FOUND)
        return table[int(ref)]

    def create_category(self, course: str, params: dict) -> dict:
        self._course(course)
        name = (params.get("name") or "").strip()
        if not name:
            raise CanvasError(400, {"errors": {"name": [{"attribute": "name", "type": "blank", "message": "blank"}]}})
        if any(c["name"] == name for c in self.categories.values()):
            raise CanvasError(
                400, {"errors": {"name": [{"attribute": "name", "type": "taken", "message": "Name has already been taken"}]}}
            )
        category = {
            "id": self._next_id(),
            "name": name,
            "role": None,
            "self_signup": params.get("self_signup") or None,
            "auto_leader": params.get("auto_leader") or None,
            "context_type": "Course",
            "course_id": self.course_id,
            "group_limit": None,
            "sis_group_category_id": params.get("sis_group_category_id") or None,
            "sis_import_id": None,
            "progress": None,
        }
        self.categories[category["id"]] = category
        return category

    def list_categories(self, course: str) -> list[dict]:
        self._course(course)
        return sorted(self.categories.values(), key=lambda c: c["id"])

    def create_group(self, category_ref: str, params: dict) -> dict:
        category = self._get(self.categories, category_ref)
        name = (params.get("name") or "").strip()
        if not name:
            raise CanvasError(400, {"errors": {"name": [{"attribute": "name", "type": "blank", "message": "blank"}]}})
        group = {
            "id": self._next_id(),
            "name": name,
            "description": params.get("description") or None,
            "is_public": False,
            "followed_by_user": False,
            "join_level": params.get("join_level") or "invitation_only",
            "members_count": 0,
            "avatar_url": None,
            "context_type": "Course",
            "course_id": self.course_id,
            "role": None,
            "group_category_id": category["id"],
            "sis_group_id": params.get("sis_group_id") or None,
            "sis_import_id": None,
            "storage_quota_mb": 50,
            "permissions": {"create_discussion_topic": True, "create_announcement": True},
        }
        self.groups[group["id"]] = group
        return group

    def list_groups(self, category_ref: str) -> list[dict]:
        category = self._get(self.categories, category_ref)
        groups = [g for g in self.groups.values() if g["group_category_id"] == category["id"]]
        for group in groups:
            group["members_count"] = sum(1 for m in self.memberships.values() if m["group_id"] == group["id"])
        return sorted(groups, key=lambda g: g["id"])

    def create_membership(self, group_ref: str, params: dict) -> dict:
        group = self._get(self.groups, group_ref)
        if not params.get("user_id"):
            raise CanvasError(400, {"errors": {"user_id": [{"attribute": "user_id", "type": "blank", "message": "blank"}]}})
        user = self.resolve_user(params["user_id"])
        existing = next(
            (m for m in self.memberships.values() if m["group_id"] == group["id"] and m["user_id"] == user["id"]), None
        )
        if existing is not None:
            return {**existing, "just_created": False}
        # One group per user in a group set: joining another group of the set moves the user.
        siblings = {g["id"] for g in self.groups.values() if g["group_category_id"] == group["group_category_id"]}
        for membership_id in [
            mid for mid, m in self.memberships.items() if m["user_id"] == user["id"] and m["group_id"] in siblings
        ]:
            del self.memberships[membership_id]
        membership = {
            "id": self._next_id(),
            "group_id": group["id"],
            "user_id": user["id"],
            "workflow_state": "accepted",
            "moderator": False,
            "sis_import_id": None,
        }
        self.memberships[membership["id"]] = membership
        return {**membership, "just_created": True}

    def list_memberships(self, group_ref: str) -> list[dict]:
        group = self._get(self.groups, group_ref)
        return sorted((m for m in self.memberships.values() if m["group_id"] == group["id"]), key=lambda m: m["id"])

    def delete_membership(self, group_ref: str, *, user_ref: str | None = None, membership_ref: str | None = None) -> dict:
        group = self._get(self.groups, group_ref)
        if membership_ref is not None:
            membership = self._get(self.memberships, membership_ref)
        else:
            user = self.resolve_user(user_ref)
            membership = next(
                (m for m in self.memberships.values() if m["group_id"] == group["id"] and m["user_id"] == user["id"]), None
            )
        if membership is None or membership["group_id"] != group["id"]:
            raise CanvasError(404, NOT_FOUND)
        del self.memberships[membership["id"]]
        return {"ok": True}


def _paginate(handler_url: str, path: str, query: dict, items: list) -> tuple[list, dict]:
    """Canvas paging: `per_page` (default 10, at most 100), `page`; Link with current/next/prev/first/last."""
    per_page = max(1, min(int(query.get("per_page", 10)), 100))
    page = max(1, int(query.get("page", 1)))
    last = max(1, -(-len(items) // per_page))

    def link(n: int) -> str:
        return f"{handler_url}{path}?{urllib.parse.urlencode({**query, 'page': n, 'per_page': per_page})}"

    rels = [(link(page), "current")]
    if page < last:
        rels.append((link(page + 1), "next"))
    if page > 1:
        rels.append((link(page - 1), "prev"))
    rels += [(link(1), "first"), (link(last), "last")]
    header = ",".join(f'<{url}>; rel="{rel}"' for url, rel in rels)
    return items[(page - 1) * per_page : page * per_page], {"Link": header}


class _Handler(JsonHandler):
    canvas: FakeCanvas

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        canvas = self.canvas
        split = urllib.parse.urlsplit(self.path)
        path, query = split.path, dict(urllib.parse.parse_qsl(split.query))
        body, pairs = self.read_body() if method in ("POST", "PUT") else ({}, [])
        params = {**query, **body}
        call = Call(method, path, list(urllib.parse.parse_qsl(split.query)) + pairs)
        canvas.calls.append(call)
        parts = path.strip("/").split("/")
        try:
            auth = self.headers.get("Authorization", "")
            if auth != f"Bearer {canvas.token}" and query.get("access_token") != canvas.token:
                call.status = 401
                return self.send_json(
                    401,
                    {"errors": [{"message": "Invalid access token."}]},
                    {"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
                )
            if parts[:2] != ["api", "v1"]:
                raise CanvasError(404, NOT_FOUND)
            route = parts[2:]
            with canvas._lock:
                status, result, headers = 200, None, {}
                match (method, route):
                    case ("POST", ["courses", course, "group_categories"]):
                        result = canvas.create_category(course, params)
                    case ("GET", ["courses", course, "group_categories"]):
                        result, headers = _paginate(canvas.url, path, query, canvas.list_categories(course))
                    case ("POST", ["group_categories", category, "groups"]):
                        result = canvas.create_group(category, params)
                    case ("GET", ["group_categories", category, "groups"]):
                        result, headers = _paginate(canvas.url, path, query, canvas.list_groups(category))
                    case ("POST", ["groups", group, "memberships"]):
                        result = canvas.create_membership(group, params)
                    case ("GET", ["groups", group, "memberships"]):
                        result, headers = _paginate(canvas.url, path, query, canvas.list_memberships(group))
                    case ("DELETE", ["groups", group, "users", user]):
                        result = canvas.delete_membership(group, user_ref=urllib.parse.unquote(user))
                    case ("DELETE", ["groups", group, "memberships", membership]):
                        result = canvas.delete_membership(group, membership_ref=membership)
                    case _:
                        raise CanvasError(404, NOT_FOUND)
            call.status = status
            self.send_json(status, result, headers)
        except CanvasError as exc:
            call.status = exc.status
            self.send_json(exc.status, exc.body)
