"""Launching courseproj from the test platform with Django's test client: login initiation, auth, form post."""
from tests.lti.platform import Person, Platform, parse_query


def begin(client, platform: Platform, person: Person, **claims) -> dict:
    """Login initiation at the tool; returns the tool's auth request (state, nonce…) to the platform."""
    _, params = platform.login_initiation(person, **claims)
    response = client.post("/lti/login/", params)
    assert response.status_code == 302, response.content[:500]
    assert response["Location"].startswith(platform.auth_url)
    return parse_query(response["Location"])


def launch(client, platform: Platform, person: Person, **claims):
    """A whole launch; returns the tool's answer to the platform's form post."""
    post = platform.authorize(begin(client, platform, person, **claims))
    return client.post("/lti/launch/", post.fields)


def post_token(client, auth: dict, token: str):
    return client.post("/lti/launch/", {"id_token": token, "state": auth["state"]})
