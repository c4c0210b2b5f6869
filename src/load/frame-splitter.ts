/**
 * Byte-level framing of streamed response bodies, on Buffers (as undici's eventsource parser does):
 * no per-chunk string building, only the payload bytes of each complete frame are handed on.
 *
 * - SSE: an event ends at a blank line (`\n\n`, or `\r\n\r\n`); each `data:` line's value is a payload.
 * - NDJSON (Ollama): a frame ends at `\n`.
 *
 * A network chunk may hold several frames or a fraction of one; the splitter keeps the unfinished
 * tail (a copy only when a frame straddles chunks) and calls `onPayload` once per complete payload.
 */
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

export type PayloadSink = (payload: Buffer) => void;

export interface FrameSplitter {
  /** Feeds one network chunk; calls the sink for each complete payload it closes. */
  push(chunk: Buffer): void;
  /** Flushes an unterminated last frame (a server that closed without the final blank line). */
  end(): void;
}

/** Server-sent events: payloads of `data:` lines, one call per event (multi-line data joined by `\n`). */
export function createSseSplitter(onPayload: PayloadSink): FrameSplitter {
  let pending: Buffer | null = null;
  const emitEvent = (event: Buffer): void => {
    let start = 0;
    let data: Buffer | null = null;
    while (start < event.length) {
      let end = event.indexOf(LF, start);
      if (end === -1) end = event.length;
      const value = dataValue(event, start, end);
      if (value !== null) data = data === null ? value : Buffer.concat([data, Buffer.from('\n'), value]);
      start = end + 1;
    }
    if (data !== null) onPayload(data);
  };
  const scan = (buffer: Buffer): void => {
    let start = 0;
    for (;;) {
      const lf = buffer.indexOf(LF, start);
      if (lf === -1) break;
      const next = buffer[lf + 1];
      if (next === LF || (next === CR && buffer[lf + 2] === LF)) {
        // The common event, one line: no second search, no copy.
        const value = dataValue(buffer, start, lf);
        if (value !== null) onPayload(value);
        start = next === LF ? lf + 2 : lf + 3;
        continue;
      }
      // A blank line further on: LF LF, or LF CR LF.
      let boundaryEnd = -1;
      let eventEnd = -1;
      let search = buffer.indexOf(LF, lf + 1);
      while (search !== -1) {
        const after = buffer[search + 1];
        if (after === LF || (after === CR && buffer[search + 2] === LF)) {
          eventEnd = search + 1;
          boundaryEnd = after === LF ? search + 2 : search + 3;
          break;
        }
        search = buffer.indexOf(LF, search + 1);
      }
      if (boundaryEnd === -1) break;
      emitEvent(buffer.subarray(start, eventEnd));
      start = boundaryEnd;
    }
    pending = start < buffer.length ? Buffer.from(buffer.subarray(start)) : null;
  };
  return {
    push(chunk) {
      scan(pending === null ? chunk : Buffer.concat([pending, chunk]));
    },
    end() {
      if (pending !== null && pending.length > 0) emitEvent(pending);
      pending = null;
    },
  };
}

/** The value of a `data:` line in buffer[start, end) (a trailing CR and one leading space dropped); null for other lines. */
function dataValue(buffer: Buffer, start: number, end: number): Buffer | null {
  let lineEnd = end;
  if (lineEnd > start && buffer[lineEnd - 1] === CR) lineEnd--;
  if (
    lineEnd - start < 5 ||
    buffer[start] !== 0x64 || // d
    buffer[start + 1] !== 0x61 || // a
    buffer[start + 2] !== 0x74 || // t
    buffer[start + 3] !== 0x61 || // a
    buffer[start + 4] !== 0x3a // :
  ) {
    return null;
  }
  let valueStart = start + 5;
  if (buffer[valueStart] === SPACE) valueStart++;
  return buffer.subarray(valueStart, lineEnd);
}

/** Newline-delimited JSON: one payload per non-empty line. */
export function createNdjsonSplitter(onPayload: PayloadSink): FrameSplitter {
  let pending: Buffer | null = null;
  const emitLine = (line: Buffer): void => {
    let end = line.length;
    if (end > 0 && line[end - 1] === CR) end--;
    if (end > 0) onPayload(end === line.length ? line : line.subarray(0, end));
  };
  return {
    push(chunk) {
      const buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
      let start = 0;
      for (;;) {
        const lf = buffer.indexOf(LF, start);
        if (lf === -1) break;
        emitLine(buffer.subarray(start, lf));
        start = lf + 1;
      }
      pending = start < buffer.length ? Buffer.from(buffer.subarray(start)) : null;
    },
    end() {
      if (pending !== null) emitLine(pending);
      pending = null;
    },
  };
}
