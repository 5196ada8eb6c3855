// The official TypeScript MCP SDK (@modelcontextprotocol/sdk, pinned in package.json) against
// NeoForge's /mcp, for scripts/mcp-clients: the same walk as scripts/mcp_client.py, from
// Node, with the initialize handshake (revision 2025-11-25). Lists the tools, walks one todo
// through every tool with a read-write API key (each structured result checked, and the plain
// HTTP API seeing the same with the same key), then the read-only key, a stranger's key, the
// session's access token, and the read-write key revoked over HTTP. Prints one summary line;
// exits 1 at the first failed check.
//
//   node e2e/mcp-client.mjs ACCOUNTS_JSON LABEL      (ACCOUNTS_JSON from scripts/mcp_accounts.py)
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual as same } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [accountsPath, label] = process.argv.slice(2);
const accounts = JSON.parse(readFileSync(accountsPath, 'utf8'));
const me = accounts.clients.node;
const base = accounts.base;
// The package's exports hide its package.json from import and require: read the file.
const sdkVersion = JSON.parse(
  readFileSync(new URL('./node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url), 'utf8'),
).version;
const TOOLS = ['complete_todo', 'create_todo', 'delete_todo', 'get_todo', 'list_todos', 'todo_stats', 'update_todo'];
const TODO_FIELDS = ['id', 'title', 'completed', 'created_at', 'updated_at'];

class CheckFailed extends Error {}
let passed = 0;
function check(condition, what) {
  if (!condition) throw new CheckFailed(what);
  passed += 1;
}
const show = (value) => JSON.stringify(value);

async function connect(key) {
  const client = new Client({ name: 'neoforge-mcp-clients', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return client;
}

const textOf = (result) => result.content.map((block) => block.text ?? '').join(' ');

async function ok(client, name, args = {}) {
  const result = await client.callTool({ name, arguments: args });
  check(!result.isError, `${name}: a tool error: ${textOf(result)}`);
  check(result.structuredContent && typeof result.structuredContent === 'object', `${name}: no structured content`);
  return result.structuredContent;
}

// A call that must fail as a tool error (whose text contains needle); its text.
async function toolError(client, name, args, needle) {
  const result = await client.callTool({ name, arguments: args });
  check(result.isError === true, `${name}: expected a tool error, got ${show(result.structuredContent)}`);
  if (needle !== undefined) {
    check(textOf(result).toLowerCase().includes(needle.toLowerCase()), `${name}: the error does not name "${needle}": ${textOf(result)}`);
  }
  return textOf(result);
}

async function http(method, path, token) {
  return fetch(new URL(path, base), { method, headers: { Authorization: `Bearer ${token}` } });
}

async function httpTodos(key) {
  const response = await http('GET', '/api/todos?limit=100', key);
  check(response.status === 200, `GET /api/todos: ${response.status}`);
  return new Map((await response.json()).items.map((todo) => [todo.id, todo]));
}

const isTodo = (value, title, completed) =>
  value && TODO_FIELDS.every((field) => field in value) && value.title === title && value.completed === completed;
const ids = (list) => list.items.map((todo) => todo.id);

async function run() {
  const rw = me.rw.key;
  let title = `node sdk ${randomUUID().slice(0, 8)}`;
  const session = await connect(rw);
  // The transport carries the revision that initialize settled on, for the summary.
  const protocol = session.transport.protocolVersion;
  const { tools } = await session.listTools();
  check(same(tools.map((tool) => tool.name).sort(), TOOLS), `tools/list: ${tools.map((tool) => tool.name)}`);
  for (const tool of tools) {
    check(tool.inputSchema?.type === 'object', `${tool.name}: input schema ${show(tool.inputSchema)}`);
    check(tool.outputSchema?.type === 'object', `${tool.name}: output schema ${show(tool.outputSchema)}`);
  }

  // What a todo that does not exist looks like: another user's must look the same.
  const missing = await toolError(session, 'get_todo', { id: randomUUID() });
  check(missing !== '', 'get_todo of an unknown id: a tool error without text');

  const todo = await ok(session, 'create_todo', { title });
  check(isTodo(todo, title, false), `create_todo: ${show(todo)}`);
  const id = todo.id;
  check((await httpTodos(rw)).get(id)?.title === title, 'GET /api/todos does not show the created todo');

  const listed = await ok(session, 'list_todos', { status_filter: 'active', limit: 10, offset: 0 });
  check(same(ids(listed), [id]) && listed.total === 1, `list_todos: ${show(listed)}`);
  check(listed.limit === 10 && listed.offset === 0, `list_todos paging: ${show(listed)}`);
  check(isTodo(await ok(session, 'get_todo', { id }), title, false), 'get_todo');

  title += ' (renamed)';
  check(isTodo(await ok(session, 'update_todo', { id, title }), title, false), 'update_todo');
  check(isTodo(await ok(session, 'complete_todo', { id }), title, true), 'complete_todo');
  check((await httpTodos(rw)).get(id)?.completed === true, 'GET /api/todos does not show the todo completed');
  const completed = await ok(session, 'list_todos', { status_filter: 'completed' });
  check(same(ids(completed), [id]), `list_todos completed: ${show(completed)}`);
  const stats = await ok(session, 'todo_stats');
  check(same(stats, { total: 1, active: 0, completed: 1 }), `todo_stats: ${show(stats)}`);

  const readOnly = await connect(me.ro.key);
  check(same(ids(await ok(readOnly, 'list_todos')), [id]), 'list_todos (read-only key)');
  await toolError(readOnly, 'create_todo', { title: 'not allowed' }, 'todos:write');
  await toolError(readOnly, 'delete_todo', { id }, 'todos:write');
  await readOnly.close();
  check((await httpTodos(rw)).size === 1, 'the read-only key changed something');

  const stranger = await connect(accounts.stranger.key);
  const text = await toolError(stranger, 'get_todo', { id });
  check(text === missing, `get_todo of another user's todo: "${text}", unlike an unknown id's "${missing}"`);
  await stranger.close();
  const signedIn = await connect(me.token);
  check(same(await ok(signedIn, 'todo_stats'), stats), 'todo_stats with the session access token');
  await signedIn.close();

  const deleted = await ok(session, 'delete_todo', { id });
  check(same(deleted, { id, deleted: true }), `delete_todo: ${show(deleted)}`);
  check(!(await httpTodos(rw)).has(id), 'GET /api/todos still shows the deleted todo');
  check((await toolError(session, 'get_todo', { id })) === missing, 'get_todo of the deleted todo');

  const revoked = await http('DELETE', `/api/users/me/api-keys/${me.rw.id}`, me.token);
  check(revoked.status === 204, `revoking the key: ${revoked.status}`);
  let refusal;
  try {
    const result = await session.callTool({ name: 'todo_stats', arguments: {} });
    check(false, `todo_stats with the revoked key answered ${show(result)}`);
  } catch (err) {
    if (err instanceof CheckFailed) throw err;
    check(err.code === 401, `the revoked key: expected HTTP 401, got ${err.code}: ${err.message}`);
    refusal = `${err.code}`;
  }
  check((await http('GET', '/api/todos', rw)).status === 401, 'GET /api/todos with the revoked key');
  await session.close();
  return { tools: tools.length, refusal, protocol };
}

try {
  const { tools, refusal, protocol } = await run();
  console.log(
    `mcp-clients node/${label}: ${passed} checks passed (@modelcontextprotocol/sdk ${sdkVersion}, protocol ${protocol}): ` +
      `${tools} tools; ` +
      `a todo created, listed, completed, counted, deleted; read-only key refused todos:write; ` +
      `stranger's key found nothing; revoked key refused (HTTP ${refusal})`,
  );
} catch (err) {
  console.log(`mcp-clients node/${label}: FAILED after ${passed} checks passed: ${err.message}`);
  process.exitCode = 1;
}
