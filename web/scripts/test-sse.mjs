// Unit tests of the event-stream parser (src/realtime/sse.ts), run by `npm test` with Node's
// own test runner: esbuild strips the types, nothing else is needed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const built = await esbuild.build({
  entryPoints: [path.join(root, 'src/realtime/sse.ts')],
  bundle: true,
  format: 'esm',
  write: false,
  logLevel: 'warning',
});
const { SseParser } = await import(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].contents).toString('base64')}`);

/** Every event dispatched when `chunks` arrive one after another. */
function parse(chunks) {
  const events = [];
  const parser = new SseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  return { events, lastEventId: parser.lastEventId };
}

const STREAM =
  ': keep-alive\n\n' +
  'id: 7\nevent: todo.created\ndata: {"id":"a",\ndata: "title":"Two lines"}\n\n' +
  'event: todo.deleted\r\nid: 8\r\ndata:{"id":"a"}\r\n\r\n' +
  ': another comment\r' +
  'id: 9\revent: resync\rdata: {}\r\r';
const EXPECTED = [
  { id: '7', event: 'todo.created', data: '{"id":"a",\n"title":"Two lines"}' },
  { id: '8', event: 'todo.deleted', data: '{"id":"a"}' },
  { id: '9', event: 'resync', data: '{}' },
];

test('events with ids, names, multi-line data and comments, on LF, CRLF and CR lines', () => {
  assert.deepEqual(parse([STREAM]), { events: EXPECTED, lastEventId: '9' });
});

test('the same stream split at every possible point, CRLF pairs included', () => {
  for (let i = 0; i <= STREAM.length; i++) {
    assert.deepEqual(parse([STREAM.slice(0, i), STREAM.slice(i)]).events, EXPECTED, `split at ${i}`);
  }
  assert.deepEqual(parse([...STREAM]).events, EXPECTED, 'one character at a time');
});

test('an event is dispatched only at its blank line; an unfinished one is not', () => {
  assert.deepEqual(parse(['id: 1\ndata: x\n']).events, []);
  assert.deepEqual(parse(['id: 1\ndata: x\n', '\n']).events, [{ id: '1', event: 'message', data: 'x' }]);
});

test('ids carry over to later events, and an event without data still moves the id on', () => {
  const { events, lastEventId } = parse(['id: 3\ndata: a\n\ndata: b\n\nid: 4\n\n']);
  assert.deepEqual(events, [
    { id: '3', event: 'message', data: 'a' },
    { id: '3', event: 'message', data: 'b' },
  ]);
  assert.equal(lastEventId, '4');
});

test('field details: one leading space dropped, no colon means an empty value, unknown fields ignored', () => {
  assert.deepEqual(parse(['data:  two spaces\nretry: 10\nfoo: bar\ndata\n\n']).events, [
    { id: '', event: 'message', data: ' two spaces\n' },
  ]);
  assert.deepEqual(parse(['event: x\n\ndata: y\n\n']).events, [{ id: '', event: 'message', data: 'y' }]);
  assert.equal(parse(['id: a\0b\n\n']).lastEventId, '');
});
