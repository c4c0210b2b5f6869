/**
 * Splits Docker's multiplexed log stream (containers without a TTY) into text. Each frame is an
 * 8-byte header — stream type (1 stdout, 2 stderr), 3 zero bytes, big-endian uint32 length — then
 * the payload. Frames are joined in arrival order, which keeps stdout and stderr interleaved.
 */
export function demuxDockerLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    if (type !== 0 && type !== 1 && type !== 2) return buffer.toString('utf8'); // not multiplexed (TTY)
    const length = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  return Buffer.concat(parts).toString('utf8');
}
