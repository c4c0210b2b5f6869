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
/** "data:" */
const DATA_PREFIX = Buffer.from('data:');

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
      let lineEnd = end;
      if (lineEnd > start && event[lineEnd - 1] === CR) lineEnd--;
      if (lineEnd - start >= 5 && event.compare(DATA_PREFIX, 0, 5, start, start + 5) === 0) {
        let valueStart = start + 5;
        if (event[valueStart] === SPACE) valueStart++;
        const value = event.subarray(valueStart, lineEnd);
        data = data === null ? value : Buffer.concat([data, Buffer.from('\n'), value]);
      }
      start = end + 1;
    }
    if (data !== null) onPayload(data);
  };
  const scan = (buffer: Buffer): void => {
    let start = 0;
    for (;;) {
      const lf = buffer.indexOf(LF, start);
      if (lf === -1) break;
      // A blank line: LF LF, or LF CR LF.
      let boundaryEnd = -1;
      let eventEnd = -1;
      let search = lf;
      while (search !== -1) {
        const next = buffer[search + 1];
        if (next === LF || (next === CR && buffer[search + 2] === LF)) {
          eventEnd = search + 1;
          boundaryEnd = next === LF ? search + 2 : search + 3;
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
