// Load generator for scripts/bench_webchat.sh: drives omnid's public chat
// API on 127.0.0.1 with Node's http module (no dependencies).
//
//   node webchat_load.mjs turns  PORT SLUG TURNS CONCURRENCY
//   node webchat_load.mjs streams PORT SLUG CONVERSATIONS
//   node webchat_load.mjs ttft   PORT SLUG FAKE_PORT ROUNDS
//   node webchat_load.mjs relay  PORT SLUG MODEL_PORT ROUNDS
//
// relay serves a minimal streaming model on MODEL_PORT itself (omnid must
// point at it), notes when it writes the first token and when the client
// reads it through omnid, on one clock: the delay omnid adds to a token.
//
// Prints one JSON line of results. Every loop is bounded by its arguments.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function request(port, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const started = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, method, path, agent,
      headers: { 'Content-Type': 'application/json', ...(data ? { 'Content-Length': Buffer.byteLength(data) } : {}), ...headers } },
      (res) => {
        let text = '';
        let firstToken = null;
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          if (firstToken === null && (chunk.includes('event: token') || chunk.includes('"content":"'))) {
            firstToken = Number(process.hrtime.bigint() - started) / 1e6;
          }
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, firstToken }));
        res.on('error', reject);
      });
    req.setTimeout(120000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

async function session(port, slug) {
  const res = await request(port, 'POST', `/v1/chat/${slug}/session`, {});
  if (res.status !== 200) throw new Error(`session: ${res.status} ${res.text}`);
  return JSON.parse(res.text).token;
}

async function turn(port, slug, token, message, conversationId) {
  const body = { message };
  if (conversationId) body.conversation_id = conversationId;
  const res = await request(port, 'POST', `/v1/chat/${slug}/messages`, body, { Authorization: `Bearer ${token}` });
  const done = res.status === 200 && res.text.includes('event: done');
  return { ok: done, conversationId: res.headers['x-conversation-id'], firstToken: res.firstToken, status: res.status, text: res.text };
}

async function runTurns(port, slug, total, concurrency) {
  let next = 0;
  let ok = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  async function worker() {
    const token = await session(port, slug);
    let conversation = null;
    let inConversation = 0;
    while (next < total) {
      next += 1;
      // Five turns per conversation, like a short real chat.
      if (inConversation === 5) { conversation = null; inConversation = 0; }
      const r = await turn(port, slug, token, 'Do you have time for a haircut on Friday?', conversation);
      if (r.ok) { ok += 1; conversation = r.conversationId; inConversation += 1; } else { failed += 1; }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { turns: ok, failed, seconds, turns_per_s: ok / seconds };
}

async function runStreams(port, slug, conversations) {
  const tokens = [];
  for (let i = 0; i < conversations; i += 100) {
    const batch = Math.min(100, conversations - i);
    tokens.push(...await Promise.all(Array.from({ length: batch }, () => session(port, slug))));
  }
  const started = process.hrtime.bigint();
  const results = await Promise.allSettled(tokens.map((token) => turn(port, slug, token, 'Hello there')));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ok = results.filter((r) => r.status === 'fulfilled' && r.value.ok).length;
  const errors = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason)).slice(0, 3);
  const bad = results.filter((r) => r.status === 'fulfilled' && !r.value.ok).map((r) => `${r.value.status} ${r.value.text.slice(0, 200)}`).slice(0, 3);
  return { conversations, completed: ok, seconds, errors, bad };
}

async function directFirstToken(fakePort) {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'fake-model', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const req = http.request({ host: '127.0.0.1', port: fakePort, method: 'POST', path: '/v1/chat/completions', agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let first = null;
      res.setEncoding('utf8');
      res.on('data', (chunk) => { if (first === null && chunk.includes('"content":"')) first = Number(process.hrtime.bigint() - started) / 1e6; });
      res.on('end', () => resolve(first));
    });
    req.on('error', reject);
    req.write(body);
    req.end();
  });
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function runTtft(port, slug, fakePort, rounds) {
  const token = await session(port, slug);
  const direct = [];
  const through = [];
  for (let i = 0; i < rounds; i += 1) {
    direct.push(await directFirstToken(fakePort));
    through.push((await turn(port, slug, token, 'Hello there')).firstToken);
  }
  return { rounds, direct_p50_ms: percentile(direct, 0.5), omnid_p50_ms: percentile(through, 0.5),
    direct_p99_ms: percentile(direct, 0.99), omnid_p99_ms: percentile(through, 0.99),
    overhead_p50_ms: percentile(through, 0.5) - percentile(direct, 0.5) };
}

async function runRelay(port, slug, modelPort, rounds) {
  let sentAt = null;
  const model = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      const chunk = (delta) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'fake-model',
        choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
      sentAt = process.hrtime.bigint();
      res.write(chunk({ role: 'assistant', content: 'Hi' }));
      setTimeout(() => {
        res.write(chunk({ content: ' there' }));
        res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'fake-model',
          choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
        res.end('data: [DONE]\n\n');
      }, 5);
    });
  });
  model.on('connection', (socket) => socket.setNoDelay(true));
  await new Promise((resolve) => model.listen(modelPort, '127.0.0.1', resolve));
  const token = await session(port, slug);
  const delays = [];
  for (let i = 0; i < rounds; i += 1) {
    sentAt = null;
    const started = process.hrtime.bigint();
    const r = await turn(port, slug, token, 'Hello there');
    if (!r.ok || sentAt === null || r.firstToken === null) continue;
    const receivedAt = started + BigInt(Math.round(r.firstToken * 1e6));
    delays.push(Number(receivedAt - sentAt) / 1e6);
  }
  model.close();
  return { rounds, measured: delays.length, relay_p50_ms: percentile(delays, 0.5), relay_p99_ms: percentile(delays, 0.99) };
}

const [mode, port, slug, a, b] = process.argv.slice(2);
let result;
if (mode === 'turns') result = await runTurns(Number(port), slug, Number(a), Number(b));
else if (mode === 'streams') result = await runStreams(Number(port), slug, Number(a));
else if (mode === 'relay') result = await runRelay(Number(port), slug, Number(a), Number(b));
else if (mode === 'ttft') result = await runTtft(Number(port), slug, Number(a), Number(b));
else throw new Error(`unknown mode ${mode}`);
console.log(JSON.stringify(result));
process.exit(0);
