// A stand-in for an OpenAI-compatible service, for the assistant in the browser tests and the
// API fuzzers: `POST /v1/chat/completions` answers a chat completion in the wire format, whose
// plan has one todo per non-empty line of the user's text (a leading "- " or "1. " dropped),
// read from between the marker lines the server puts around it. Deterministic, so a test
// knows what will be proposed. Listens on 127.0.0.1 only.
//
//   node fake-llm.mjs PORT        prints "fake-llm listening on PORT" once it accepts
import http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const MARKER = /^<(\/?)user-text-[0-9a-f]+>$/;

/** The user's text: the lines between the server's opening and closing markers. */
function userText(messages) {
  const content = messages?.find((m) => m.role === 'user')?.content ?? '';
  const lines = content.split('\n');
  const open = lines.findIndex((line) => MARKER.test(line) && !line.startsWith('</'));
  const close = lines.findLastIndex((line) => MARKER.test(line) && line.startsWith('</'));
  return open >= 0 && close > open ? lines.slice(open + 1, close) : [];
}

function plan(messages) {
  const titles = userText(messages)
    .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim())
    .filter(Boolean);
  return { todos: titles.map((title) => ({ title })) };
}

function completion(model, content) {
  return {
    id: `chatcmpl-fake${Date.now().toString(36)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 200, completion_tokens: 40, total_tokens: 240 },
  };
}

const server = http.createServer((request, response) => {
  const reply = (status, body) => {
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
    return reply(404, { error: { message: 'Unknown route', type: 'invalid_request_error' } });
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(400, { error: { message: 'Invalid JSON body', type: 'invalid_request_error' } });
    }
    reply(200, completion(body.model ?? 'fake', JSON.stringify(plan(body.messages))));
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`fake-llm listening on ${server.address().port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
