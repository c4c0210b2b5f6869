/**
 * Byte-level framing of streamed response bodies, on Buffers (as undici's eventsource parser does):
 * no per-chunk string building, only the payload bytes of each complete frame are handed on.
 *
 * - SSE: an event ends at a blank line (`\n\n`, or `\r\n\r\n`); each `data:` line's value is a payload.
 * - NDJSON (Ollama): a frame ends at `\n`.
 *
 * A network chunk may hold several frames or a fraction of one. The unfinished tail is kept as a
 * list of chunks and joined once, when the chunk that ends the frame arrives: the cost is linear in
 * bytes however many chunks a frame spans (joining on every chunk made an endless line quadratic,
 * 547 MB and seconds-long stalls). A frame that grows past `maxFrameBytes` stops the splitter:
 * `overflowed` turns true and every later byte is ignored, so a hostile server costs at most the cap.
 */
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

/** Largest SSE event or NDJSON line accepted by default: token chunks are ~200 bytes, a final usage event a few KiB. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export type PayloadSink = (payload: Buffer) => void;

export interface FrameSplitter {
  /** Feeds one network chunk; calls the sink for each complete payload it closes. */
  push(chunk: Buffer): void;
  /** Flushes an unterminated last frame (a server that closed without the final blank line). */
  end(): void;
  /** A frame passed the cap; nothing more is framed. */
  readonly overflowed: boolean;
}

export interface SplitterOptions {
  /** Largest unfinished frame kept; default MAX_FRAME_BYTES. */
  readonly maxFrameBytes?: number;
}

/**
 * The unfinished tail of a stream, as the chunks it arrived in. `wouldEnd(chunk)` says whether a
 * frame boundary lies in the tail + chunk at or after the tail's last `overlap` bytes (a boundary
 * may straddle the join); only then are they joined.
 */
class PendingTail {
  private chunks: Buffer[] = [];
  bytes = 0;

  get empty(): boolean {
    return this.bytes === 0;
  }

  /** The tail of `buffer` from `start`, copied so the big chunk it came from is not kept alive. */
  reset(buffer: Buffer, start: number): void {
    this.chunks = start < buffer.length ? [Buffer.from(buffer.subarray(start))] : [];
    this.bytes = buffer.length - start;
  }

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** The last `count` bytes of the tail (fewer when it is shorter). */
  last(count: number): Buffer {
    const parts: Buffer[] = [];
    let need = count;
    for (let i = this.chunks.length - 1; i >= 0 && need > 0; i--) {
      const chunk = this.chunks[i]!;
      const take = Math.min(need, chunk.length);
      parts.unshift(chunk.subarray(chunk.length - take));
      need -= take;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Tail + chunk as one buffer; the tail is emptied. */
  join(chunk: Buffer): Buffer {
    const joined = this.bytes === 0 ? chunk : Buffer.concat([...this.chunks, chunk], this.bytes + chunk.length);
    this.chunks = [];
    this.bytes = 0;
    return joined;
  }

  take(): Buffer | null {
    if (this.bytes === 0) return null;
    return this.join(Buffer.alloc(0));
  }
}

/** Index of the first SSE event boundary (LF LF or LF CR LF) starting at or after `from`; -1 if none. */
function findEventBoundary(buffer: Buffer, from: number): number {
  for (let lf = buffer.indexOf(LF, from); lf !== -1; lf = buffer.indexOf(LF, lf + 1)) {
    const next = buffer[lf + 1];
    if (next === LF || (next === CR && buffer[lf + 2] === LF)) return lf;
  }
  return -1;
}

/** Server-sent events: payloads of `data:` lines, one call per event (multi-line data joined by `\n`). */
export function createSseSplitter(onPayload: PayloadSink, options: SplitterOptions = {}): FrameSplitter {
  const maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  const pending = new PendingTail();
  let overflowed = false;
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
      const boundary = findEventBoundary(buffer, lf + 1);
      if (boundary === -1) break;
      emitEvent(buffer.subarray(start, boundary + 1));
      start = buffer[boundary + 1] === LF ? boundary + 2 : boundary + 3;
    }
    pending.reset(buffer, start);
  };
  /** Whether tail + chunk holds a boundary: in the chunk, or across the join (the tail's last 2 bytes). */
  const endsInChunk = (chunk: Buffer): boolean => {
    if (findEventBoundary(chunk, 0) !== -1) return true;
    const edge = Buffer.concat([pending.last(2), chunk.subarray(0, 2)]);
    return findEventBoundary(edge, 0) !== -1;
  };
  return {
    get overflowed() {
      return overflowed;
    },
    push(chunk) {
      if (overflowed) return;
      if (pending.empty || endsInChunk(chunk)) scan(pending.join(chunk));
      else pending.append(chunk);
      if (pending.bytes > maxFrameBytes) {
        overflowed = true;
        pending.reset(chunk, chunk.length);
      }
    },
    end() {
      const last = overflowed ? null : pending.take();
      if (last !== null) emitEvent(last);
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
export function createNdjsonSplitter(onPayload: PayloadSink, options: SplitterOptions = {}): FrameSplitter {
  const maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  const pending = new PendingTail();
  let overflowed = false;
  const emitLine = (line: Buffer): void => {
    let end = line.length;
    if (end > 0 && line[end - 1] === CR) end--;
    if (end > 0) onPayload(end === line.length ? line : line.subarray(0, end));
  };
  return {
    get overflowed() {
      return overflowed;
    },
    push(chunk) {
      if (overflowed) return;
      if (!pending.empty && chunk.indexOf(LF) === -1) pending.append(chunk);
      else {
        const buffer = pending.join(chunk);
        let start = 0;
        for (;;) {
          const lf = buffer.indexOf(LF, start);
          if (lf === -1) break;
          emitLine(buffer.subarray(start, lf));
          start = lf + 1;
        }
        pending.reset(buffer, start);
      }
      if (pending.bytes > maxFrameBytes) {
        overflowed = true;
        pending.reset(chunk, chunk.length);
      }
    },
    end() {
      const last = overflowed ? null : pending.take();
      if (last !== null) emitLine(last);
    },
  };
}
