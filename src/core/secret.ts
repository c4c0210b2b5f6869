import { inspect } from 'node:util';

/** What a secret looks like wherever it is shown: result files, the store, messages, `config show`. */
export const SECRET_MASK = '********';

/**
 * A value that must never be written or printed: a token, a password, a URL with credentials.
 * The config loader wraps such values, so everything downstream carries a Secret, and every way
 * of turning it into text (JSON.stringify, a template string, console.log / util.inspect) gives
 * the mask or the redacted URL. Only the client that authenticates calls `reveal()`.
 * The value sits in a private field, so structuredClone and Object.entries see nothing either.
 */
export class Secret {
  readonly #value: string;
  readonly #shown: string;

  constructor(value: string, shown: string = SECRET_MASK) {
    this.#value = value;
    this.#shown = shown;
  }

  /** A URL or path whose credentials are secret, shown with them removed (`postgres://kitt:********@db/kitt`). */
  static url(value: string): Secret {
    return new Secret(value, redactUrl(value));
  }

  /** The value itself, for the one place that hands it to a server. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return this.#shown;
  }

  toJSON(): string {
    return this.#shown;
  }

  [inspect.custom](): string {
    return this.#shown;
  }
}

/** The value of a secret or of a plain string. */
export const revealed = (value: string | Secret): string => (value instanceof Secret ? value.reveal() : value);

/** Every value revealed, for the environment of a process or container. */
export function revealEnv(env: Readonly<Record<string, string | Secret>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, revealed(value)]));
}

/** Environment names whose values are credentials: HF_TOKEN, DB_PASSWORD, OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY. */
export const SECRET_ENV_NAME = /token|passw(?:or)?d|secret|api[_-]?key|access[_-]?key|private[_-]?key|credential/i;

// `?password=…`, `&token=…`, `&api_key=…`, InfluxDB 1's `&p=…`: query parameters that carry credentials.
const SECRET_QUERY = /([?&;](?:[\w.-]*(?:password|passwd|token|secret|key)|p|pwd|sig|signature|auth)=)[^&#\s'"<>]*/gi;
// scheme://user:password@host: the password is everything between the first ':' and the last '@'
// of the authority (which ends at the first '/', '?', '#', space or quote).
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:'"`<>]*:)[^\s/?#'"`<>]*@/gi;

/**
 * `text` with the credentials of every URL in it removed: userinfo passwords and query parameters
 * that carry passwords, tokens, secrets or keys. For any message that may quote a URL, of any
 * scheme: `ftp://u:p@h` becomes `ftp://u:********@h`.
 */
export function redactUrl(text: string): string {
  return text.replace(USERINFO, `$1${SECRET_MASK}@`).replace(SECRET_QUERY, `$1${SECRET_MASK}`);
}
