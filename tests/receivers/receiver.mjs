// A webhook receiver: verify with the Standard Webhooks library, dedupe on the event id.
import http from "node:http";
import { Webhook } from "standardwebhooks";

const hook = new Webhook(process.env.WEBHOOK_SECRET); // whsec_..., shown at create
http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    try {
      const event = hook.verify(body, req.headers); // signature, and a 5-minute window
      console.log(event.type, event.id); // event.id == webhook-id: dedupe on it
      res.writeHead(204).end();
    } catch { res.writeHead(400).end(); }
  });
}).listen(Number(process.argv[2]), "127.0.0.1");
