"""A small client of scimd's application API with the standard library:
what verify.py and feed.py share."""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

URL = os.environ.get("SCIMD_URL", "").rstrip("/")
APP_TOKEN = os.environ.get("SCIMD_APP_TOKEN", "")
if not URL or not APP_TOKEN.startswith("scimd_app_"):
    sys.exit("set SCIMD_URL (such as http://127.0.0.1:8080) and SCIMD_APP_TOKEN (scimd_app_...)")


class APIError(Exception):
    """An error answer of the API, with its status and stable code."""

    def __init__(self, status, code, message):
        super().__init__(f"scimd: {status} {code}: {message}")
        self.status, self.code = status, code


def api(method, path, body=None, timeout=70):
    """Calls the application API and returns its JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + "/v1" + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + APP_TOKEN)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return json.load(res)
    except urllib.error.HTTPError as e:
        try:
            err = json.load(e)["error"]
        except (ValueError, KeyError, TypeError):
            raise RuntimeError(f"{method} /v1{path}: {e.code}; is {URL} a scimd server?") from e
        raise APIError(e.code, err.get("code"), err.get("message")) from e


def verify(secret):
    """Asks whether a user's API key or session token is valid:
    {"valid": True, "user": {...}, "credential": {...}} or
    {"valid": False, "reason": ...}."""
    return api("POST", "/verify", {"token": secret})


def events(workspace, after, wait=30):
    """Reads the workspace's events after the seq `after`, waiting up to
    `wait` seconds for some: {"events": [...], "next": seq}."""
    q = urllib.parse.urlencode({"after": after, "wait": wait})
    return api("GET", f"/workspaces/{urllib.parse.quote(workspace, safe='')}/events?{q}")
