/**
 * Environment variables that override a config key. Each wins over the file and loses to a
 * command-line flag. `KITT_HOME` and `KITT_CONFIG` are not keys: they say where the home and the
 * file are.
 */
export interface EnvOverride {
  readonly name: string;
  readonly keyPath: readonly string[];
  readonly type: 'string' | 'integer' | 'number' | 'boolean';
  readonly description: string;
}

export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { name: 'MODEL_PATH', keyPath: ['run', 'model'], type: 'string', description: 'model file or folder for kitt run' },
  { name: 'KITT_ENGINE', keyPath: ['run', 'engine'], type: 'string', description: 'engine for kitt run' },
  { name: 'KITT_MODE', keyPath: ['run', 'mode'], type: 'string', description: 'embedded, docker or native' },
  { name: 'KITT_PORT', keyPath: ['run', 'port'], type: 'integer', description: 'engine port for kitt run' },
  { name: 'KITT_PROFILE', keyPath: ['run', 'profile'], type: 'string', description: 'engine profile for kitt run' },
  { name: 'KITT_MEMORY', keyPath: ['limits', 'memory'], type: 'string', description: 'default memory limit' },
  { name: 'KITT_CPUS', keyPath: ['limits', 'cpus'], type: 'number', description: 'default CPU limit' },
  { name: 'KITT_PIDS', keyPath: ['limits', 'pids'], type: 'integer', description: 'default pids limit' },
  { name: 'KITT_STORE_URL', keyPath: ['store', 'url'], type: 'string', description: 'SQLite path or postgres:// URL' },
  {
    name: 'KITT_MEMORY_URL',
    keyPath: ['memory', 'url'],
    type: 'string',
    description: 'Qdrant URL for the memories of kitt agents (default: a SQLite file under KITT_HOME)',
  },
  {
    name: 'KITT_PROMETHEUS_ENABLED',
    keyPath: ['export', 'prometheus', 'enabled'],
    type: 'boolean',
    description: 'serve /metrics for Prometheus',
  },
  {
    name: 'KITT_PROMETHEUS_PORT',
    keyPath: ['export', 'prometheus', 'port'],
    type: 'integer',
    description: 'port of the Prometheus /metrics endpoint',
  },
  {
    name: 'KITT_PROMETHEUS_HOST',
    keyPath: ['export', 'prometheus', 'host'],
    type: 'string',
    description: 'address the Prometheus /metrics endpoint binds (default 127.0.0.1)',
  },
  { name: 'KITT_INFLUX_URL', keyPath: ['export', 'influx', 'url'], type: 'string', description: 'InfluxDB URL' },
  {
    name: 'KITT_INFLUX_VERSION',
    keyPath: ['export', 'influx', 'version'],
    type: 'integer',
    description: 'InfluxDB API version: 1 or 2',
  },
  { name: 'KITT_INFLUX_ORG', keyPath: ['export', 'influx', 'org'], type: 'string', description: 'InfluxDB 2 org' },
  {
    name: 'KITT_INFLUX_BUCKET',
    keyPath: ['export', 'influx', 'bucket'],
    type: 'string',
    description: 'InfluxDB 2 bucket',
  },
  {
    name: 'KITT_INFLUX_TOKEN',
    keyPath: ['export', 'influx', 'token'],
    type: 'string',
    description: 'InfluxDB 2 token',
  },
  {
    name: 'KITT_INFLUX_DATABASE',
    keyPath: ['export', 'influx', 'database'],
    type: 'string',
    description: 'InfluxDB 1 database',
  },
  {
    name: 'KITT_INFLUX_USERNAME',
    keyPath: ['export', 'influx', 'username'],
    type: 'string',
    description: 'InfluxDB 1 user',
  },
  {
    name: 'KITT_INFLUX_PASSWORD',
    keyPath: ['export', 'influx', 'password'],
    type: 'string',
    description: 'InfluxDB 1 password',
  },
];

/**
 * Converts an environment string to the key's type. A value that does not convert is passed on as
 * the string, so the schema reports it with the variable's name and what is allowed.
 */
export function convertEnvValue(override: EnvOverride, raw: string): unknown {
  const text = raw.trim();
  switch (override.type) {
    case 'integer':
    case 'number': {
      const value = Number(text);
      return text.length > 0 && Number.isFinite(value) ? value : raw;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      return raw;
    default:
      return raw;
  }
}
