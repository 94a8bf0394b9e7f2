"""A webhook receiver: verify with the Standard Webhooks library, dedupe on the event id."""

import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

hook = Webhook(os.environ["WEBHOOK_SECRET"])  # whsec_..., shown when the webhook was created


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            event = hook.verify(body, dict(self.headers))  # signature, and a 5-minute window
        except WebhookVerificationError:
            return self.send_error(400)
        print(event["type"], event["id"], flush=True)  # event["id"] is webhook-id: dedupe on it
        self.send_response(204)
        self.end_headers()


HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
