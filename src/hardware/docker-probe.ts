import { request } from 'node:http';

/** Whether a Docker daemon answers, where, and its API version. */
export interface DockerReachability {
  readonly reachable: boolean;
  /** `unix:///var/run/docker.sock` or `tcp://host:port`. */
  readonly endpoint: string;
  readonly apiVersion?: string | undefined;
  readonly error?: string | undefined;
}

export type DockerProbe = (env: NodeJS.ProcessEnv, timeoutMs: number) => Promise<DockerReachability>;

/**
 * `GET /_ping` on DOCKER_HOST (unix:// or tcp://) or the default socket, with a short timeout. A
 * dozen lines of HTTP instead of the Docker client: hardware depends on nothing but core.
 * TLS daemons (DOCKER_TLS_VERIFY) are reported as not probed rather than pinged in the clear.
 */
export const probeDocker: DockerProbe = (env, timeoutMs) => {
  const endpoint = env.DOCKER_HOST && env.DOCKER_HOST.length > 0 ? env.DOCKER_HOST : 'unix:///var/run/docker.sock';
  if (env.DOCKER_TLS_VERIFY === '1') {
    return Promise.resolve({ reachable: false, endpoint, error: 'TLS endpoints are not probed' });
  }
  let target: { socketPath: string } | { host: string; port: number };
  if (endpoint.startsWith('unix://')) target = { socketPath: endpoint.slice('unix://'.length) };
  else if (endpoint.startsWith('tcp://') || endpoint.startsWith('http://')) {
    const url = new URL(endpoint.replace(/^tcp:/, 'http:'));
    target = { host: url.hostname, port: Number(url.port || 2375) };
  } else {
    return Promise.resolve({ reachable: false, endpoint, error: `unsupported DOCKER_HOST scheme` });
  }
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => {
        const apiVersion = res.headers['api-version'];
        resolve({
          reachable: res.statusCode === 200,
          endpoint,
          apiVersion: typeof apiVersion === 'string' ? apiVersion : undefined,
          ...(res.statusCode === 200 ? {} : { error: `HTTP ${res.statusCode}` }),
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ reachable: false, endpoint, error: error.message }));
    req.end();
  });
};
