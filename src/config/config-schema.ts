import { z } from 'zod';
import { SECRET_ENV_NAME, Secret } from '../core/secret.js';
import { DURATION_EXAMPLES, readBytes, readDurationMs, SIZE_EXAMPLES } from '../core/units.js';

/**
 * The schema of kitt's one YAML config file. Every object is strict, so a misspelt key is an error
 * that lists the allowed keys instead of a silent no-op (KITT ignored the keys it did not read).
 * Everything is optional in the file; `DEFAULT_CONFIG` supplies what the file leaves out.
 */

/*
 * Engine names and modes are the engine catalog's: config imports only core, so here they are
 * strings, and the app checks them against the catalog (one line naming the valid ones).
 */
export const RATE_UNITS = ['requests/s', 'tokens/s'] as const;

// Sizes and durations are checked with the grammar the flags use (core/units), and kept as written
// so `kitt config show` prints them as the file has them; a bare duration is seconds.
const size = z.string().refine((text) => readBytes(text) !== undefined, `a size such as ${SIZE_EXAMPLES}`);
const duration = z
  .string()
  .refine((text) => readDurationMs(text, 's') !== undefined, `a duration such as ${DURATION_EXAMPLES}`);
const PORT = 'an integer from 1 to 65535';
const port = z.int({ error: PORT }).min(1, { error: PORT }).max(65_535, { error: PORT });
const positiveInt = z.int({ error: 'a whole number of at least 1' }).min(1, { error: 'a whole number of at least 1' });
// Secrets are wrapped here, at the boundary, so the config that reaches run.json, the store and
// every message carries a Secret that serialises as the mask (core/secret).
const secret = z.string().transform((value) => new Secret(value));
/** Environment for an engine: values of credential-like names (HF_TOKEN, *_API_KEY) become Secrets. */
const envMap = z
  .record(z.string(), z.string())
  .transform(
    (env) =>
      Object.fromEntries(
        Object.entries(env).map(([name, value]) => [name, SECRET_ENV_NAME.test(name) ? new Secret(value) : value]),
      ) as Record<string, string | Secret>,
  );

export const limitsSchema = z.strictObject({
  memory: size.optional(),
  memorySwap: size.optional(),
  cpus: z.number().positive().optional(),
  pids: positiveInt.optional(),
});

export const loadProfileSchema = z.strictObject({
  /** A load kind; the load module owns the list (config may not import it), and `kitt run` checks it. */
  kind: z.string().min(1).optional(),
  requests: positiveInt.optional(),
  duration: duration.optional(),
  concurrency: positiveInt.optional(),
  /** Arrivals per second for constant-rate and poisson. */
  rate: z.number().positive().optional(),
  promptTokens: positiveInt.optional(),
  outputTokens: positiveInt.optional(),
});

export const engineConfigSchema = z.strictObject({
  image: z.string().min(1).optional(),
  /** The port the engine listens on when --port is not given (before run.port and the catalog's). */
  port: port.optional(),
  args: z.array(z.string()).optional(),
  env: envMap.optional(),
  startupTimeout: duration.optional(),
});

const engineName = z.string().min(1, { error: 'an engine name (kitt engines list shows them)' });

export const engineProfileSchema = z.strictObject({
  engine: engineName,
  args: z.array(z.string()).optional(),
  env: envMap.optional(),
  image: z.string().min(1).optional(),
  /** Limits of a run with this profile (run.profile): over `limits`, under the flags. */
  limits: limitsSchema.optional(),
});

export const rateSchema = z.strictObject({
  value: z.number().positive(),
  unit: z.enum(RATE_UNITS),
  calibratedAt: z.string().optional(),
});

/** `compute.maxContexts["<engine>/<limits>"]`: how many full contexts of `contextTokens` fit the memory limit at once. */
export const maxContextsSchema = z.strictObject({
  value: z.number().int().positive(),
  /** The context length each of them holds, tokens (prompt + answer). */
  contextTokens: z.number().int().positive().optional(),
  calibratedAt: z.string().optional(),
});

export const configSchema = z.strictObject({
  run: z
    .strictObject({
      engine: engineName.optional(),
      mode: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
      port: port.optional(),
      profile: z.string().min(1).optional(),
      load: loadProfileSchema.optional(),
      /** A server that runs already (kitt run --target): nothing is started. */
      target: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
      api: z.enum(['completions', 'chat']).optional(),
      servedModel: z.string().min(1).optional(),
      /** The NAME of the variable holding the target's key; the key itself never goes in a config. */
      apiKeyEnv: z.string().min(1).optional(),
    })
    .optional(),
  // `engines.<name>` for any catalog name, beside `engines.profiles`
  engines: z
    .object({ profiles: z.record(z.string(), engineProfileSchema).optional() })
    .catchall(engineConfigSchema)
    .optional(),
  limits: limitsSchema.optional(),
  store: z
    .strictObject({
      url: z
        .string()
        .min(1)
        .refine((url) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^postgres(?:ql)?:\/\//i.test(url), {
          message: 'a SQLite file path or a postgres:// URL',
        })
        .transform(Secret.url)
        .optional(),
    })
    .optional(),
  export: z
    .strictObject({
      prometheus: z
        .strictObject({ enabled: z.boolean().optional(), port: port.optional(), host: z.string().min(1).optional() })
        .optional(),
      influx: z
        .strictObject({
          url: z
            .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
            .transform(Secret.url)
            .optional(),
          version: z.union([z.literal(1), z.literal(2)]).optional(),
          org: z.string().optional(),
          bucket: z.string().optional(),
          token: secret.optional(),
          database: z.string().optional(),
          username: z.string().optional(),
          password: secret.optional(),
        })
        .optional(),
    })
    .optional(),
  compute: z
    .strictObject({
      /** Calibrated rates by `<engine>/<limits key>`, written by `kitt calibrate`. */
      rates: z.record(z.string(), rateSchema).optional(),
      /** Concurrent contexts that fit the memory limit, by the same key, written by `kitt calibrate`. */
      maxContexts: z.record(z.string(), maxContextsSchema).optional(),
    })
    .optional(),
  /** Where `kitt agents` keeps memories: a Qdrant server when url is set, else a SQLite file under KITT_HOME. */
  memory: z
    .strictObject({
      url: z
        .url({ protocol: /^https?$/, error: 'an http:// or https:// URL of a Qdrant server' })
        .transform(Secret.url)
        .optional(),
      collection: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,255}$/, 'letters, digits, dash and underscore')
        .optional(),
      /** The environment variable holding Qdrant's API key (sent as the api-key header). */
      apiKeyEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
        .optional(),
    })
    .optional(),
});

/** The config as the file may write it: every key optional. */
export type ConfigFile = z.infer<typeof configSchema>;
export type EngineName = string;
export type EngineMode = string;
export type RateUnit = (typeof RATE_UNITS)[number];
export type ConfiguredRate = z.infer<typeof rateSchema>;
export type ConfiguredMaxContexts = z.infer<typeof maxContextsSchema>;
export type EngineConfig = z.infer<typeof engineConfigSchema>;
export type EngineProfileConfig = z.infer<typeof engineProfileSchema>;
export type LimitsConfig = z.infer<typeof limitsSchema>;

/** The effective config: the defaults below filled in where the file and environment said nothing. */
export interface KittConfig {
  readonly run: {
    /** Undefined: the catalog's default engine. */
    readonly engine?: EngineName | undefined;
    readonly mode?: EngineMode | undefined;
    readonly model?: string | undefined;
    readonly port?: number | undefined;
    readonly profile?: string | undefined;
    /** A server to measure instead of starting an engine (--target). */
    readonly target?: string | undefined;
    readonly api?: 'completions' | 'chat' | undefined;
    readonly servedModel?: string | undefined;
    /** The name of the environment variable that holds the target's API key. */
    readonly apiKeyEnv?: string | undefined;
    readonly load: {
      readonly kind: string;
      readonly requests?: number | undefined;
      readonly duration?: string | undefined;
      readonly concurrency: number;
      readonly rate?: number | undefined;
      readonly promptTokens: number;
      readonly outputTokens: number;
    };
  };
  readonly engines: {
    readonly profiles?: Readonly<Record<string, EngineProfileConfig>> | undefined;
    readonly [engine: string]: EngineConfig | Readonly<Record<string, EngineProfileConfig>> | undefined;
  };
  readonly limits: LimitsConfig;
  /** url: a SQLite path or postgres:// URL, a Secret because the URL may carry a password. */
  readonly store: { readonly url?: Secret | undefined };
  readonly export: {
    /** host: the address /metrics binds; loopback unless set (0.0.0.0 serves other machines). */
    readonly prometheus: { readonly enabled: boolean; readonly port: number; readonly host: string };
    readonly influx: {
      readonly url?: Secret | undefined;
      readonly version: 1 | 2;
      readonly org?: string | undefined;
      readonly bucket?: string | undefined;
      readonly token?: Secret | undefined;
      readonly database?: string | undefined;
      readonly username?: string | undefined;
      readonly password?: Secret | undefined;
    };
  };
  readonly compute: {
    readonly rates: Readonly<Record<string, ConfiguredRate>>;
    readonly maxContexts: Readonly<Record<string, ConfiguredMaxContexts>>;
  };
  /** url: a Qdrant server (a Secret: it may carry credentials); unset, memories go to KITT_HOME/agents/memory.db. */
  readonly memory: {
    readonly url?: Secret | undefined;
    readonly collection: string;
    readonly apiKeyEnv?: string | undefined;
  };
}

/**
 * What kitt uses when nothing else is said. `kitt run` with no arguments: the embedded engine, a
 * short fixed-concurrency load of 32 requests, 4 at a time, 64 prompt and 64 output tokens.
 */
export const DEFAULT_CONFIG: KittConfig = {
  run: {
    load: { kind: 'fixed-concurrency', requests: 32, concurrency: 4, promptTokens: 64, outputTokens: 64 },
  },
  engines: {},
  limits: {},
  store: {},
  export: {
    prometheus: { enabled: false, port: 9464, host: '127.0.0.1' },
    influx: { version: 2 },
  },
  compute: { rates: {}, maxContexts: {} },
  memory: { collection: 'kitt_agent_memories' },
};

/** The `engines.<name>` section of the config, or undefined (`profiles` is not an engine). */
export function engineConfigOf(config: Pick<KittConfig, 'engines'>, name: string): EngineConfig | undefined {
  return name === 'profiles' ? undefined : (config.engines[name] as EngineConfig | undefined);
}

/** The names under `engines` that configure an engine (every key but `profiles`). */
export function configuredEngineNames(config: Pick<KittConfig, 'engines'>): string[] {
  return Object.keys(config.engines).filter((key) => key !== 'profiles');
}

/** Keys whose values are secrets: they load as Secrets, and config errors do not quote them. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['token', 'password']);
