import type { z } from 'zod';
import { redactUrl, SECRET_ENV_NAME, SECRET_MASK } from '../core/secret.js';
import { SECRET_KEYS } from './config-schema.js';

/** One problem in the config: where it is (key path), what is wrong and what is allowed. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `engines.llamacpp.port`; keys with dots or slashes are quoted. */
  readonly keyPath: string;
  /** What is allowed there, e.g. `one of: embedded, llamacpp` or `an integer from 1 to 65535`. */
  readonly allowed: string;
  /** The offending value as written, when there is one. */
  readonly got?: string | undefined;
  /** The problem in words: `expected <allowed> (got <got>)`, or the unknown key and its siblings. */
  readonly message: string;
}

function valueIssue(path: readonly PropertyKey[], allowed: string, got: string | undefined): ConfigIssue {
  const message = got === undefined ? `expected ${allowed}` : `expected ${allowed} (got ${got})`;
  return { keyPath: formatKeyPath(path), allowed, got, message };
}

/** `engines.llamacpp.port`, `compute.rates["llamacpp/1cpu"]`: a key path a person can search for. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    const key = String(segment);
    if (typeof segment === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) out += out.length === 0 ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** The value as an error quotes it: secrets masked, URL credentials removed before it is shortened. */
function describeValue(value: unknown, path: readonly PropertyKey[]): string | undefined {
  if (value === undefined) return undefined;
  const key = String(path[path.length - 1] ?? '');
  const inEnv = path.length >= 2 && path[path.length - 2] === 'env';
  // a rejected value is not a Secret yet, so its key says whether it may be quoted
  if (SECRET_KEYS.has(key) || (inEnv && SECRET_ENV_NAME.test(key))) return SECRET_MASK;
  const text = redactUrl(typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value)));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  /** The schema of keys not in `shape` (`engines.<name>`). */
  catchall?: { _zod: { def: SchemaDef } };
  innerType?: { _zod: { def: SchemaDef } };
  valueType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
}

/** The object keys the schema allows at `path` (through optionals, records and arrays). */
function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let def = (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  const unwrap = () => {
    while ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType) {
      def = def.innerType._zod.def;
    }
  };
  unwrap();
  for (const segment of path) {
    if (def.type === 'object' && def.shape) {
      const next = def.shape[String(segment)] ?? def.catchall;
      if (!next) return [];
      def = next._zod.def;
    } else if (def.type === 'record' && def.valueType) def = def.valueType._zod.def;
    else if (def.type === 'array' && def.element) def = def.element._zod.def;
    else return [];
    unwrap();
  }
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function describeBound(issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean; origin?: string }) {
  const what = issue.origin === 'string' ? 'characters' : issue.origin === 'array' ? 'items' : '';
  if (issue.minimum !== undefined) {
    const bound = issue.inclusive === false ? `more than ${issue.minimum}` : `at least ${issue.minimum}`;
    return `${bound}${what ? ` ${what}` : ''}`;
  }
  const bound = issue.inclusive === false ? `less than ${issue.maximum}` : `at most ${issue.maximum}`;
  return `${bound}${what ? ` ${what}` : ''}`;
}

const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too (big|small)|Unrecognized|Expected)/;

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys to values',
  record: 'a mapping of keys to values',
};

/** `a string or a list`: the types a union's branches expected, when each names one. */
function unionTypes(branches: readonly (readonly z.core.$ZodIssue[])[]): string {
  const types = branches.map((branch) => {
    const first = branch[0];
    return first?.code === 'invalid_type' ? (TYPE_NAMES[first.expected] ?? first.expected) : undefined;
  });
  if (types.some((type) => type === undefined)) return 'a value of another shape';
  return [...new Set(types)].join(' or ');
}

/**
 * Turns zod's issues into ours: one per problem, each naming its key path and what is allowed.
 * Unknown keys become one issue per key, naming the keys that are allowed beside it.
 */
export function describeIssues(schema: z.ZodType, input: unknown, issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.flatMap((issue): ConfigIssue[] => {
    const got = describeValue(valueAt(input, issue.path), issue.path);
    // a message the schema wrote itself already says what is allowed
    if (issue.code !== 'unrecognized_keys' && !ZOD_DEFAULT_MESSAGE.test(issue.message)) {
      return [valueIssue(issue.path, issue.message, got ?? 'nothing')];
    }
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(schema, issue.path);
        return issue.keys.map((key) => ({
          keyPath: formatKeyPath([...issue.path, key]),
          allowed: `one of the keys: ${allowed.join(', ')}`,
          message: `unknown key; allowed keys here: ${allowed.join(', ')}`,
        }));
      }
      case 'invalid_value':
        return [
          valueIssue(
            issue.path,
            `one of: ${issue.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`,
            got,
          ),
        ];
      case 'invalid_type': {
        const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
        return [valueIssue(issue.path, `${expected}`, got ?? 'nothing')];
      }
      case 'too_small':
      case 'too_big': {
        const integer = (issue as { format?: string }).format === 'safeint' ? 'an integer' : 'a number';
        const what = issue.origin === 'number' || issue.origin === 'int' ? `${integer} ` : '';
        return [valueIssue(issue.path, `${what}${describeBound(issue)}`, got)];
      }
      case 'invalid_union': {
        const literals = issue.errors
          .flat()
          .flatMap((inner) => (inner.code === 'invalid_value' ? inner.values.map(String) : []));
        const allowed = literals.length > 0 ? `one of: ${literals.join(', ')}` : unionTypes(issue.errors);
        return [valueIssue(issue.path, allowed, got)];
      }
      default:
        return [valueIssue(issue.path, issue.message, got)];
    }
  });
}
