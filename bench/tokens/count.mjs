// Counts the prompt tokens of one chat-completions request body (a JSON
// file written by omni_chat_bench) with OpenAI's BPE encodings, the way
// OpenAI's cookbook counts chat messages: 3 tokens per message, its role
// and content (and tool calls), 3 more to prime the reply. The tool
// definitions are counted as their JSON text: providers render them in
// their own formats, so that part is close, not exact. Other model
// families (Claude, Llama, Gemini) tokenize differently.
//
//   node bench/tokens/count.mjs REQUEST.json
import { readFileSync } from "node:fs";
import { getEncoding } from "js-tiktoken";

const request = JSON.parse(readFileSync(process.argv[2], "utf8"));
const result = {};
for (const name of ["o200k_base", "cl100k_base"]) {
  const encoding = getEncoding(name);
  const count = (text) => encoding.encode(text).length;
  let messages = 3;
  let system = 0;
  for (const message of request.messages) {
    let tokens = 3 + count(message.role);
    if (typeof message.content === "string") tokens += count(message.content);
    if (message.tool_calls) tokens += count(JSON.stringify(message.tool_calls));
    if (message.tool_call_id) tokens += count(message.tool_call_id);
    if (message.role === "system") system += tokens;
    messages += tokens;
  }
  const tools = request.tools ? count(JSON.stringify(request.tools)) : 0;
  result[name] = { total: messages + tools, system_prompt: system, messages, tools };
}
console.log(JSON.stringify({ messages: request.messages.length, ...result }));
