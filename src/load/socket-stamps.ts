import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { buildConnector } from 'undici';
import { LatencyHistogram } from '../metrics/latency-histogram.js';

/** Where a run's token arrival times come from (docs/metrics.md, "Arrival stamps"). */
export type StampSource = 'socket' | 'event-loop';

/** native/socket-stamp.c, built into dist/native by scripts/build-native.sh. */
interface NativeStamper {
  watch(fd: number): number;
  release(slot: number): void;
  arrivedAt(slot: number, byteEnd: number): number;
  nowMs(): number;
  realtime(): boolean;
}

/** From dist/load and from src/load alike: the addon is built into dist/native. */
const ADDON = fileURLToPath(new URL('../../dist/native/socket-stamp.node', import.meta.url));

export interface StampFigures {
  readonly stamps: StampSource;
  /** Body chunks whose stamp came from the socket because the event loop read them later. */
  readonly socketStamped: number;
  /** p99 of how much later the loop read those chunks than they arrived (what the stamps took out), ms. */
  readonly readLagP99Ms: number | null;
  /** The stamping thread ran at real-time priority (root or CAP_SYS_NICE), so its wakes were prompt. */
  readonly stampThreadRealtime: boolean;
}

type Loaded = { native: NativeStamper; offsetMs: number } | { reason: string };

const loaded = new Map<string, Loaded>();

function loadNative(path: string): Loaded {
  const known = loaded.get(path);
  if (known) return known;
  let result: Loaded;
  try {
    const native = createRequire(import.meta.url)(path) as NativeStamper;
    result = { native, offsetMs: clockOffsetMs(native) };
  } catch (error) {
    const code = (error as { code?: string }).code;
    result = {
      reason:
        code === 'MODULE_NOT_FOUND'
          ? 'the socket stamper is not built (scripts/build-native.sh needs a C compiler and Node headers)'
          : `the socket stamper did not load: ${(error as Error).message}`,
    };
  }
  loaded.set(path, result);
  return result;
}

/**
 * The native clock (CLOCK_MONOTONIC) minus performance.now(), read where one native reading sits
 * between two of performance.now() no more than 10 µs apart, so the two clocks agree to ~5 µs.
 */
function clockOffsetMs(native: NativeStamper): number {
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < 50; i++) {
    const before = performance.now();
    const nativeMs = native.nowMs();
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      offset = nativeMs - (before + after) / 2;
    }
  }
  if (best > 0.01) throw new Error(`the native and performance clocks could not be read within 10 µs (${best} ms)`);
  return offset;
}

/**
 * The read undici is parsing right now. undici reads a socket with `socket.read()` and parses that
 * buffer at once, synchronously, handing body slices of it to the request's handler; so the last
 * read on this thread is the one a body chunk came from, and the slice's place in that buffer is
 * its place in the socket's byte stream.
 */
let lastRead: Buffer | null = null;
let lastReadEnd = 0;
let lastReadSlot = -1;

/**
 * Stamps from the socket, not from the event loop: a native thread notes when bytes reach each of
 * the client's sockets (native/socket-stamp.c), and a body chunk's arrival is when its last byte
 * had reached the socket, on the load's clock. A chunk the event loop read before the thread woke
 * keeps the loop's stamp (it was not late); so does every chunk on a socket kitt could not watch
 * (TLS, where the socket's bytes are not the body's).
 */
export class SocketStamps {
  readonly source: StampSource;
  /** Why stamps come from the event loop; null when they come from sockets. */
  readonly reason: string | null;
  private readonly native: NativeStamper | null;
  private readonly offsetMs: number;
  /** How much later the event loop read chunks than they reached the socket (bounded however long the run). */
  private readonly lags = LatencyHistogram.empty();

  private constructor(loadedNative: Loaded) {
    if ('native' in loadedNative) {
      this.native = loadedNative.native;
      this.offsetMs = loadedNative.offsetMs;
      this.source = 'socket';
      this.reason = null;
    } else {
      this.native = null;
      this.offsetMs = 0;
      this.source = 'event-loop';
      this.reason = loadedNative.reason;
    }
  }

  /** Socket stamps where the addon (`addon`: the built one) loads, else event-loop stamps with the reason. */
  static open(prefer: StampSource = 'socket', addon = ADDON): SocketStamps {
    return new SocketStamps(prefer === 'socket' ? loadNative(addon) : { reason: 'event-loop stamps were asked for' });
  }

  /** undici pool options: a connector that watches each plain TCP socket it opens (none for loop stamps). */
  poolOptions(): { connect?: buildConnector.connector } {
    const { native } = this;
    if (!native) return {};
    const connect = buildConnector({});
    return {
      connect: (opts, callback) =>
        connect(opts, (error, socket) => {
          if (socket && !(socket instanceof TLSSocket)) watchSocket(native, socket);
          (callback as (error: Error | null, socket: Socket | null) => void)(error, socket);
        }),
    };
  }

  /**
   * When `chunk`, a body slice undici hands over now, reached the socket (on performance.now()'s
   * clock), or `loopMs` when that is earlier or the socket's stamp is not known.
   */
  arrivedAtMs(chunk: Buffer, loopMs: number): number {
    const native = this.native;
    const read = lastRead;
    if (native === null || read === null || chunk.buffer !== read.buffer) return loopMs;
    const start = chunk.byteOffset - read.byteOffset;
    if (start < 0 || start + chunk.length > read.length) return loopMs;
    const atMs = native.arrivedAt(lastReadSlot, lastReadEnd - read.length + start + chunk.length) - this.offsetMs;
    if (!(atMs < loopMs)) return loopMs;
    this.lags.record(loopMs - atMs);
    return atMs;
  }

  /** The self-check's figures: the source and how late the loop read what the socket stamped. */
  figures(): StampFigures {
    return {
      stamps: this.source,
      socketStamped: this.lags.count,
      readLagP99Ms: this.lags.percentileMs(99),
      stampThreadRealtime: this.native?.realtime() ?? false,
    };
  }
}

/** The shards' figures as one: socket stamps only if every shard had them; the worst shard's lag. */
export function mergeStampFigures(shards: readonly StampFigures[]): StampFigures {
  const lags = shards.map((s) => s.readLagP99Ms).filter((lag): lag is number => lag !== null);
  return {
    stamps: shards.every((s) => s.stamps === 'socket') ? 'socket' : 'event-loop',
    socketStamped: shards.reduce((sum, s) => sum + s.socketStamped, 0),
    readLagP99Ms: lags.length === 0 ? null : Math.max(...lags),
    stampThreadRealtime: shards.every((s) => s.stampThreadRealtime),
  };
}

/** Registers the socket with the stamping thread and notes every read undici makes from it. */
function watchSocket(native: NativeStamper, socket: Socket): void {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return;
  const slot = native.watch(fd);
  if (slot < 0) return;
  socket.once('close', () => native.release(slot));
  const read = socket.read;
  socket.read = function readNoted(this: Socket, size?: number) {
    const chunk = read.call(this, size) as Buffer | null;
    if (chunk !== null && Buffer.isBuffer(chunk)) {
      lastRead = chunk;
      // bytesRead counts what the handle took from the kernel; what is still buffered comes after
      lastReadEnd = this.bytesRead - this.readableLength;
      lastReadSlot = slot;
    }
    return chunk;
  };
}
