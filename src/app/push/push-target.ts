import { KittError } from '../../core/errors.js';
import { redactUrl, Secret } from '../../core/secret.js';
import type { PushTarget } from './push-http.js';

/** The variable `kitt results push` and `kitt run --upload` read the server's token from, unless told another. */
export const DEFAULT_TOKEN_ENV = 'KITT_SERVER_TOKEN';

/** The server's base URL as given, checked: http(s), no trailing slash, no query. */
export function parseServerUrl(text: string, flag = '--server'): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new KittError('USAGE', `${flag} ${redactUrl(text)} is not a URL`, {
      hint: `give kitt server's address, e.g. ${flag} http://kitt.example.com:8080`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KittError('USAGE', `${flag} ${redactUrl(text)} is not an http:// or https:// URL`, {
      hint: `give kitt server's address, e.g. ${flag} http://kitt.example.com:8080`,
    });
  }
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** Where to push and with which token: the token is read from the environment, never from a flag or file. */
export function pushTargetFrom(server: string, env: NodeJS.ProcessEnv, tokenEnv = DEFAULT_TOKEN_ENV): PushTarget {
  const value = env[tokenEnv]?.trim();
  if (!value) {
    throw new KittError('USAGE', `${tokenEnv} is not set: kitt server needs a token to take a run`, {
      hint: `set ${tokenEnv} to a token with the write scope (kitt server token create --scope write)`,
    });
  }
  return { server: parseServerUrl(server), token: new Secret(value), tokenEnv };
}
