// Receives scimd's webhooks and checks their signatures with the
// Standard Webhooks library (npm standardwebhooks):
//
//   SCIMD_WEBHOOK_SECRET=whsec_… PORT=8091 node webhook.mjs
//
// Point a webhook of the workspace at http://HOST:8091/webhooks/scimd
// (scimd webhook create). Each verified event is printed as
// "TYPE SUBJECT"; an application would, for instance, sign out a
// deactivated user.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const wh = new Webhook(process.env.SCIMD_WEBHOOK_SECRET ?? "");
const port = Number(process.env.PORT ?? 8091);

createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/webhooks/scimd") {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    // Verify the body exactly as received, before parsing it.
    const body = Buffer.concat(chunks).toString("utf8");
    let event;
    try {
      event = wh.verify(body, req.headers);
    } catch {
      res.writeHead(401).end("bad signature");
      return;
    }
    // event.data has the event's fields, with eventId, seq, subject and
    // workspace; seq orders events, which retries may deliver out of order.
    console.log(`${event.type} ${event.data.subject ?? ""}`);
    res.writeHead(204).end();
  });
}).listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}`));
