import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { type ErrorCode, KittError } from '../core/errors.js';
import { validateGguf } from '../models/validate-gguf.js';
import { assertModeSupported, engineDefinition } from './catalog.js';
import type { EngineRequest } from './engine.js';
import type { EngineDefinition, HostPlatform, SelectedImage } from './engine-definition.js';
import { requiredGpuCount } from './gpu-selection.js';
import { claimPort, releasePort } from './port-reservation.js';
import { selectImage } from './select-image.js';

/** One preflight check: passed, or failed with one line and the fix. */
export interface PreflightCheck {
  readonly name: 'mode' | 'docker' | 'image' | 'executable' | 'model' | 'port' | 'gpu';
  readonly ok: boolean;
  /** What was checked and found ("image kitt/llama-server:cpu present"). */
  readonly detail: string;
  readonly hint?: string;
  /** The error code a failure raises. */
  readonly code?: ErrorCode;
}

/** The part of the container runtime preflight needs (the Docker adapter provides it). */
export interface PreflightRuntime {
  /** Where the daemon is (DOCKER_HOST or the default socket), for messages. */
  describeEndpoint(): string;
  ping(): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  pullImage(image: string): Promise<void>;
}

export interface PreflightDeps {
  /** Needed for docker mode; absent means no runtime could be created. */
  readonly runtime?: PreflightRuntime;
  readonly host: HostPlatform;
  /** --pull: pull a missing image instead of failing. */
  readonly pull?: boolean;
  readonly imageOverride?: string | undefined;
  readonly countGpus?: () => Promise<number>;
  readonly isPortFree?: (port: number) => Promise<boolean>;
  /** Deeper GGUF validation after the format check; default: the models domain's validateGguf. */
  readonly validateModel?: (path: string) => Promise<unknown>;
  readonly env?: NodeJS.ProcessEnv;
  /** The definition to check against instead of the catalog's. */
  readonly definition?: EngineDefinition;
}

/** Tries to bind 127.0.0.1:port: the only proof that an engine will be able to. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS just handed out on 127.0.0.1 (free a moment ago). */
export function osAssignedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * The port an engine gets: --port when given (preflight then insists it is free), else the
 * engine's usual port when free, else one the OS assigns, so a second run beside a first does not
 * fail on a port it never asked for.
 */
export async function choosePort(
  requested: number | undefined,
  defaultPort: number,
  free: (port: number) => Promise<boolean> = isPortFree,
): Promise<number> {
  if (requested !== undefined) {
    if (!claimPort(requested)) {
      throw new KittError('PORT_IN_USE', `port ${requested} is in use by another kitt run`, {
        hint: 'pick another with --port, or leave --port out to get a free one',
      });
    }
    return requested;
  }
  if (claimPort(defaultPort) && (await free(defaultPort))) return defaultPort;
  releasePort(defaultPort);
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await osAssignedPort();
    if (claimPort(port)) return port;
  }
  return osAssignedPort();
}

/** NVIDIA GPUs visible to `nvidia-smi -L`; 0 when the tool is absent. */
export async function countNvidiaGpus(): Promise<number> {
  try {
    const { stdout } = await promisify(execFile)('nvidia-smi', ['-L'], { timeout: 10_000 });
    return stdout.split('\n').filter((line) => line.startsWith('GPU ')).length;
  } catch {
    return 0;
  }
}

async function onPath(executable: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, executable), constants.X_OK);
      return join(dir, executable);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** GPUs an engine launch will use: those asked for, or all of them for engines that need one. */
export function effectiveGpus(request: EngineRequest, definition: EngineDefinition): EngineRequest['limits']['gpus'] {
  return request.limits.gpus ?? (definition.requiresGpu ? 'all' : undefined);
}

/** The image a docker launch will use, or a failed check naming the override. */
export function imageFor(
  request: EngineRequest,
  definition: EngineDefinition,
  host: HostPlatform,
  override: string | undefined,
): SelectedImage | PreflightCheck {
  const selected = selectImage(definition.images, host, {
    wantsGpu: effectiveGpus(request, definition) !== undefined,
    override,
  });
  return (
    selected ?? {
      name: 'image',
      ok: false,
      detail: `no ${definition.name} image is known for ${host.arch}${request.limits.gpus ? ' with GPUs' : ''}`,
      hint: `pass --image or set engines.${definition.name}.image in the config`,
      code: 'IMAGE_MISSING',
    }
  );
}

async function checkImage(image: SelectedImage, runtime: PreflightRuntime, pull: boolean): Promise<PreflightCheck> {
  if (await runtime.imageExists(image.image))
    return { name: 'image', ok: true, detail: `image ${image.image} present` };
  if (image.buildScript) {
    return {
      name: 'image',
      ok: false,
      detail: `image ${image.image} is missing (kitt builds it locally, it is never pulled)`,
      hint: `build it: sh ${image.buildScript}`,
      code: 'IMAGE_MISSING',
    };
  }
  if (!pull) {
    return {
      name: 'image',
      ok: false,
      detail: `image ${image.image} is missing`,
      hint: `run again with --pull, or docker pull ${image.image}`,
      code: 'IMAGE_MISSING',
    };
  }
  try {
    await runtime.pullImage(image.image);
    return { name: 'image', ok: true, detail: `image ${image.image} pulled` };
  } catch (error) {
    return {
      name: 'image',
      ok: false,
      detail: `pulling ${image.image} failed: ${(error as Error).message.split('\n')[0]}`,
      hint: 'check the registry is reachable, or load the image with docker load',
      code: 'IMAGE_MISSING',
    };
  }
}

async function checkDocker(runtime: PreflightRuntime | undefined, env: NodeJS.ProcessEnv): Promise<PreflightCheck> {
  const where = runtime?.describeEndpoint() ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  try {
    if (!runtime) throw new Error('no runtime');
    await runtime.ping();
    return { name: 'docker', ok: true, detail: `docker reachable at ${where}` };
  } catch {
    return {
      name: 'docker',
      ok: false,
      detail: `docker is not reachable at ${where}`,
      hint: 'start the Docker daemon, set DOCKER_HOST, or use --mode native / --mode embedded',
      code: 'RUNTIME_UNREACHABLE',
    };
  }
}

async function checkModel(
  request: EngineRequest,
  definition: EngineDefinition,
  deps: PreflightDeps,
): Promise<PreflightCheck> {
  const check = await definition.checkModel(request.modelPath);
  if (!check.ok) {
    const code: ErrorCode = check.message.endsWith('does not exist') ? 'MODEL_NOT_FOUND' : 'MODEL_FORMAT_MISMATCH';
    return { name: 'model', ok: false, detail: check.message, hint: check.hint, code };
  }
  if (check.model.format === 'gguf') {
    try {
      await (deps.validateModel ?? validateGguf)(check.model.servePath);
    } catch (error) {
      const hint = error instanceof KittError ? error.hint : undefined;
      return {
        name: 'model',
        ok: false,
        detail: (error as Error).message,
        code: 'MODEL_NOT_GGUF',
        ...(hint ? { hint } : {}),
      };
    }
  }
  return { name: 'model', ok: true, detail: `${check.model.format} model ${check.model.servePath}` };
}

async function checkPort(port: number, deps: PreflightDeps): Promise<PreflightCheck> {
  const free = await (deps.isPortFree ?? isPortFree)(port);
  return free
    ? { name: 'port', ok: true, detail: `port ${port} free on 127.0.0.1` }
    : {
        name: 'port',
        ok: false,
        detail: `port ${port} is in use on 127.0.0.1`,
        hint: 'stop what listens there or pass --port',
        code: 'PORT_IN_USE',
      };
}

async function checkGpus(
  request: EngineRequest,
  definition: EngineDefinition,
  deps: PreflightDeps,
): Promise<PreflightCheck | undefined> {
  const gpus = effectiveGpus(request, definition);
  const needed = requiredGpuCount(gpus);
  if (needed === 0) return undefined;
  const present = await (deps.countGpus ?? countNvidiaGpus)();
  if (present >= needed)
    return {
      name: 'gpu',
      ok: true,
      detail: `${present} GPU(s) present, using ${gpus === 'all' ? 'all' : gpus?.join(',')}`,
    };
  return {
    name: 'gpu',
    ok: false,
    detail:
      present === 0
        ? `${definition.name} needs an NVIDIA GPU and none was found`
        : `GPU index ${needed - 1} asked for but only ${present} GPU(s) present`,
    hint:
      present === 0
        ? 'run on a GPU host, or use -e llamacpp / -e embedded on CPU'
        : `pick --gpus between 0 and ${present - 1}`,
    code: 'GPU_UNAVAILABLE',
  };
}

/**
 * Everything that can be known to fail before a container starts, each as one line with its fix:
 * the mode, Docker (or the native executable), the image, the model's format, the port and GPUs.
 * Checks that depend on an earlier failure (the image, when Docker is down) are left out.
 */
export async function preflight(request: EngineRequest, deps: PreflightDeps): Promise<PreflightCheck[]> {
  const definition = deps.definition ?? engineDefinition(request.engine);
  const checks: PreflightCheck[] = [];
  try {
    if (!deps.definition) assertModeSupported(request);
  } catch (error) {
    const e = error as KittError;
    return [{ name: 'mode', ok: false, detail: e.message, code: 'USAGE', ...(e.hint ? { hint: e.hint } : {}) }];
  }
  const env = deps.env ?? process.env;
  if (request.mode === 'docker') {
    const docker = await checkDocker(deps.runtime, env);
    checks.push(docker);
    const image = imageFor(request, definition, deps.host, deps.imageOverride);
    if ('name' in image) checks.push(image);
    else if (docker.ok && deps.runtime) checks.push(await checkImage(image, deps.runtime, deps.pull ?? false));
  } else {
    const found = await onPath(definition.nativeExecutable, env);
    checks.push(
      found
        ? { name: 'executable', ok: true, detail: `${definition.nativeExecutable} at ${found}` }
        : {
            name: 'executable',
            ok: false,
            detail: `${definition.nativeExecutable} is not on PATH`,
            hint: `install ${definition.title} or use --mode docker`,
            code: 'ENGINE_FAILED',
          },
    );
  }
  // `kitt engines check` without -m checks everything but the model
  if (request.modelPath !== '') checks.push(await checkModel(request, definition, deps));
  checks.push(await checkPort(request.port ?? definition.defaultPort, deps));
  const gpu = await checkGpus(request, definition, deps);
  if (gpu) checks.push(gpu);
  return checks;
}

/** Throws the first failed check as a KittError (its line and fix), or returns when all passed. */
export function assertPreflight(checks: readonly PreflightCheck[]): void {
  const failed = checks.find((c) => !c.ok);
  if (failed) {
    throw new KittError(failed.code ?? 'ENGINE_FAILED', failed.detail, {
      ...(failed.hint ? { hint: failed.hint } : {}),
      details: { failedChecks: checks.filter((c) => !c.ok).map((c) => c.detail) },
    });
  }
}
