// Drives omni's fake OpenAI server with the official `openai` npm client, so
// that the fake's wire shapes are the ones real clients parse. Run by
// tests/http/openai_compat_test.cpp, which scripts the fake in this order:
//   1. a streamed text answer    2. a streamed pair of parallel tool calls
//   3. a non-streamed answer     4. a 429 error     5. a mid-stream error
// Usage: node check.mjs BASE_URL. Prints one JSON object of what it parsed.
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'sk-compat', maxRetries: 0, timeout: 10000 });
const messages = [{ role: 'user', content: 'Hello?' }];
const out = {};

const text = await client.chat.completions.create({
  model: 'fake/compat', messages, stream: true, stream_options: { include_usage: true },
});
out.text = { deltas: [], usage: null, finish_reason: null, model: null };
for await (const chunk of text) {
  out.text.model = chunk.model;
  if (chunk.usage) out.text.usage = chunk.usage;
  for (const choice of chunk.choices) {
    if (choice.delta.content) out.text.deltas.push(choice.delta.content);
    if (choice.finish_reason) out.text.finish_reason = choice.finish_reason;
  }
}

// The stream helper accumulates tool-call deltas by index, as an SDK user sees them.
const tools = client.chat.completions.stream({
  model: 'fake/compat', messages, stream_options: { include_usage: true },
  tools: [{ type: 'function', function: { name: 'check_availability', parameters: { type: 'object' } } }],
});
const final = await tools.finalChatCompletion();
out.tools = {
  finish_reason: final.choices[0].finish_reason,
  tool_calls: final.choices[0].message.tool_calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
  usage: final.usage,
};

const plain = await client.chat.completions.create({ model: 'fake/compat', messages });
out.plain = { content: plain.choices[0].message.content, usage: plain.usage, object: plain.object };

try {
  await client.chat.completions.create({ model: 'fake/compat', messages });
  out.rate_limited = { thrown: false };
} catch (err) {
  out.rate_limited = { thrown: true, status: err.status, message: err.error?.message, retry_after: err.headers?.get('retry-after') };
}

try {
  const broken = await client.chat.completions.create({ model: 'fake/compat', messages, stream: true });
  const seen = [];
  for await (const chunk of broken) seen.push(chunk.choices[0]?.delta?.content ?? '');
  out.mid_stream = { thrown: false, seen };
} catch (err) {
  out.mid_stream = { thrown: true, message: err.error?.message, code: err.error?.code };
}

console.log(JSON.stringify(out));
