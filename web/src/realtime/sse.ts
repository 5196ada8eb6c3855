// A parser of the `text/event-stream` format, as the HTML standard defines it, for streams read
// with fetch (EventSource cannot send headers). Text arrives in chunks that may split a line, or
// a CRLF pair, anywhere.

export interface ServerSentEvent {
  /** The last event id seen on the stream so far (ids carry over to later events). */
  id: string;
  /** `message` when the event named none. */
  event: string;
  data: string;
}

export class SseParser {
  /** The last event id, updated on every dispatch (even of an event without data). */
  lastEventId = '';
  private buffer = '';
  /** The previous chunk ended in CR: an LF at the start of the next one belongs to it. */
  private afterCr = false;
  private idBuffer = '';
  private eventType = '';
  private data = '';
  private hasData = false;

  constructor(private readonly dispatch: (event: ServerSentEvent) => void) {}

  /** Feed decoded text; complete lines are parsed, the rest waits for the next chunk. */
  push(chunk: string): void {
    if (this.afterCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.afterCr = false;
    const text = this.buffer + chunk;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(text.slice(start, i));
      if (c === 13) {
        if (i + 1 === text.length) this.afterCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer = text.slice(start);
  }

  private line(line: string): void {
    if (line === '') return this.end();
    if (line.startsWith(':')) return; // a comment, such as a keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data += this.hasData ? `\n${value}` : value;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.idBuffer = value;
        break;
      // `retry` and unknown fields are ignored: reconnection is the caller's business.
    }
  }

  /** A blank line: dispatch the event gathered so far. */
  private end(): void {
    this.lastEventId = this.idBuffer;
    const event = { id: this.idBuffer, event: this.eventType || 'message', data: this.data };
    const hasData = this.hasData;
    this.eventType = '';
    this.data = '';
    this.hasData = false;
    if (hasData) this.dispatch(event);
  }
}
