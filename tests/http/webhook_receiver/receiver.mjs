// A webhook receiver on 127.0.0.1 for omni's tests: it verifies every
// delivery with the standardwebhooks package (the specification's own
// library) and records it. Prints {"port": N} once listening.
//
// The secret is $WEBHOOK_SECRET. $WEBHOOK_MORE_SECRETS may name more,
// separated by commas: each delivery's `verified_by` holds the result under
// every secret, $WEBHOOK_SECRET's first, as receivers before and after a
// secret rotation would see it. The first path segment names a behaviour:
//   /ok/...          204 when verified, 401 when not
//   /fail-twice/...  500 to the first two deliveries of each webhook-id, then 204
//   /hang/...        never answers
//   /redirect/...    302 to /ok/
//   /tamper/...      also verifies the body with one byte changed, and records both results
// GET /log returns every delivery received, in order.
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const webhook = new Webhook(process.env.WEBHOOK_SECRET);
const more = (process.env.WEBHOOK_MORE_SECRETS || '').split(',').filter((s) => s !== '');
const webhooks = [webhook, ...more.map((secret) => new Webhook(secret))];
const log = [];
const seen = new Map();

function verify(body, headers, by = webhook) {
  try {
    by.verify(body, headers);
    return { ok: true, error: '' };
  } catch (e) {
    return { ok: false, error: String(e.message || e) };
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/log') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(log));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const behaviour = req.url.split('/')[1] || '';
    const id = req.headers['webhook-id'] || '';
    const result = verify(body, req.headers);
    const entry = {
      path: req.url,
      id,
      timestamp: req.headers['webhook-timestamp'] || '',
      signature: req.headers['webhook-signature'] || '',
      verified: result.ok,
      error: result.error,
      verified_by: webhooks.map((w) => verify(body, req.headers, w).ok),
      body,
    };
    if (behaviour === 'tamper') {
      const changed = body.replace('"type":"', '"type":"x');
      entry.tampered_verified = verify(changed, req.headers).ok;
    }
    log.push(entry);
    if (behaviour === 'hang') return;
    if (behaviour === 'redirect') {
      res.writeHead(302, { location: '/ok/' });
      res.end();
      return;
    }
    if (!result.ok) {
      res.writeHead(401);
      res.end(result.error);
      return;
    }
    if (behaviour === 'fail-twice') {
      const n = (seen.get(id) || 0) + 1;
      seen.set(id, n);
      if (n <= 2) {
        res.writeHead(500);
        res.end('not yet');
        return;
      }
    }
    res.writeHead(204);
    res.end();
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
