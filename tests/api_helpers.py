"""Helpers shared by the API's tests: a client that sends a token, problem checks."""

import json

from tests import factories


class TokenClient:
    """Django's test client with `Authorization: Bearer <token>` on every request."""

    def __init__(self, client, token):
        self.client, self.token = client, token
        self.headers = {"Authorization": f"Bearer {token.raw}"}

    def get(self, url, params=None, headers=None, **extra):
        return self.client.get(url, params, headers={**self.headers, **(headers or {})}, **extra)

    def post(self, url, body=None, *, raw=None, content_type="application/json", headers=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            url, data, content_type=content_type, headers={**self.headers, **(headers or {})}
        )


def api_client(client, user, scope="write"):
    return TokenClient(client, factories.make_token(user, scope=scope))


def assert_problem(response, status, kind=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    if kind:
        assert problem["type"].endswith(":" + kind), problem["type"]
    return problem
