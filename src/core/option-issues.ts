import { type ErrorCode, KittError } from './errors.js';

/** One problem with what a person asked for, and the change that fixes it. */
export interface OptionIssue {
  readonly problem: string;
  readonly fix: string;
  /** The code the problem would have alone (a bad dataset is DATASET_INVALID); USAGE by default. */
  readonly code?: ErrorCode;
}

/**
 * Collects every problem with a command's options, so a person fixes them in one go instead of
 * one run per mistake. `throwIfAny` turns them into one KittError: a single problem reads as the
 * usual one line (problem, then the fix as hint); several are listed one per line, each with its fix.
 */
export class OptionIssues {
  private readonly issues: OptionIssue[] = [];

  add(problem: string, fix: string, code?: ErrorCode): undefined {
    this.issues.push({ problem, fix, ...(code ? { code } : {}) });
    return undefined;
  }

  /** Keeps a KittError thrown by a domain parser (unknown engine, unsupported mode) as one issue. */
  addError(error: unknown): undefined {
    if (!(error instanceof KittError)) throw error;
    return this.add(error.message, error.hint ?? 'see --help', error.code);
  }

  /** Runs `read`, keeping a KittError it throws as an issue; undefined then. */
  attempt<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      return this.addError(error);
    }
  }

  get list(): readonly OptionIssue[] {
    return this.issues;
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw optionsError(this.issues);
  }
}

/** The one error for a list of issues; USAGE unless every issue has the same other code. */
export function optionsError(issues: readonly OptionIssue[]): KittError {
  const codes = new Set(issues.map((issue) => issue.code ?? 'USAGE'));
  const code: ErrorCode = codes.size === 1 ? [...codes][0]! : 'USAGE';
  const details = { issues: issues.map(({ problem, fix }) => ({ problem, fix })) };
  if (issues.length === 1) return new KittError(code, issues[0]!.problem, { hint: issues[0]!.fix, details });
  const lines = issues.map((issue) => `  ${issue.problem} (${issue.fix})`);
  return new KittError(code, `${issues.length} problems with the options:\n${lines.join('\n')}`, { details });
}
