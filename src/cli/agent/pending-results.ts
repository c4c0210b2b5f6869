import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How an attempt ended, kept on disk until the server acknowledged it. */
export interface PendingResult {
  readonly jobId: string;
  readonly attempt: number;
  readonly cellId: string;
  readonly runId?: string | undefined;
  readonly status: 'succeeded' | 'failed';
  readonly error?: string | undefined;
}

/**
 * The attempts whose result the server has not acknowledged yet, one JSON file each under
 * `<home>/agent/pending/`: written (atomically, by rename) before the agent tries to report, and
 * removed once the server answered, so neither a restart nor an unreachable server loses one.
 */
export class PendingResults {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private pathOf(result: Pick<PendingResult, 'jobId' | 'attempt'>): string {
    return join(this.dir, `${result.jobId}-${result.attempt}.json`);
  }

  save(result: PendingResult): void {
    const path = this.pathOf(result);
    writeFileSync(`${path}.tmp`, JSON.stringify(result));
    renameSync(`${path}.tmp`, path);
  }

  /** Oldest first (file names carry no time: sorted by the attempt's job and number, which is enough to be stable). */
  list(): PendingResult[] {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .flatMap((name) => {
        try {
          return [JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as PendingResult];
        } catch {
          return [];
        }
      });
  }

  acknowledge(result: PendingResult): void {
    rmSync(this.pathOf(result), { force: true });
  }
}
