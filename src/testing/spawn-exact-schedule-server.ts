import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * Starts the exact-schedule server in its own Node process (so its timers and the client's do not
 * share an event loop). `args` are its CLI flags (--ttft-ms, --itl-ms, --tokens-per-chunk, --log ...).
 */
export interface SpawnedServer {
  readonly url: string;
  readonly pid: number;
  close(): Promise<void>;
}

export async function spawnExactScheduleServer(args: readonly string[] = []): Promise<SpawnedServer> {
  const entry = fileURLToPath(new URL('./exact-schedule-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`exact-schedule server exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
