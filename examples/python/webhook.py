"""Receives scimd's webhooks and checks their signatures:

    SCIMD_WEBHOOK_SECRET=whsec_... PORT=8091 python3 webhook.py

Point a webhook of the workspace at http://HOST:8091/webhooks/scimd
(scimd webhook create). Each verified event is printed as
"TYPE SUBJECT".

scimd signs webhooks as the Standard Webhooks specification says
(https://www.standardwebhooks.com): the webhook-signature header holds
"v1,<base64 HMAC-SHA256 of 'id.timestamp.body'>" under the secret after
its "whsec_" prefix, base64-decoded. The official `standardwebhooks`
package does the same as verify() below; this file uses only the
standard library."""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE = 5 * 60  # seconds a webhook's timestamp may be off


def verify(secret, headers, body, now=None):
    """Returns the webhook's JSON if its signature is good, else raises
    ValueError."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise ValueError("missing webhook headers")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE:
        # A recorded webhook cannot be played again later.
        raise ValueError("timestamp too far from now")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    # Several signatures, space-separated, during a secret's rotation.
    if not any(hmac.compare_digest(s, expected) for s in signatures.split(" ")):
        raise ValueError("no matching signature")
    return json.loads(body)


class Handler(BaseHTTPRequestHandler):
    secret = ""

    def do_POST(self):
        if self.path != "/webhooks/scimd":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            event = verify(self.secret, self.headers, body)
        except ValueError:
            self.send_error(401, "bad signature")
            return
        # event["data"] has the event's fields, with eventId, seq, subject
        # and workspace; seq orders events, which retries may deliver out
        # of order.
        print(event["type"], event["data"].get("subject", ""), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):
        pass  # print events only


def main():
    Handler.secret = os.environ.get("SCIMD_WEBHOOK_SECRET", "")
    if not Handler.secret.startswith("whsec_"):
        sys.exit("set SCIMD_WEBHOOK_SECRET to the webhook's secret (whsec_...)")
    port = int(os.environ.get("PORT", "8091"))
    server = HTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
