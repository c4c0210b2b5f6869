import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { KittError } from '../core/errors.js';
import { isPortFree } from './choose-port.js';
import type { EngineRequest } from './engine.js';
import type { SelectedImage } from './engine-definition.js';
import { gatherLaunchFacts, type LaunchFactSources } from './gather-launch-facts.js';
import { type LaunchPlan, type PreflightCheck, planLaunch } from './launch-plan.js';

export type { PreflightCheck } from './launch-plan.js';

/** The part of the container runtime preflight needs (the Docker adapter provides it). */
export interface PreflightRuntime {
  /** Where the daemon is (DOCKER_HOST or the default socket), for messages. */
  describeEndpoint(): string;
  ping(): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  pullImage(image: string): Promise<void>;
}

/** What checking a plan against the machine needs. */
export interface PreflightDeps {
  /** Needed for docker mode; absent means no runtime could be created. */
  readonly runtime?: PreflightRuntime;
  /** --pull: pull a missing image instead of failing. */
  readonly pull?: boolean;
  readonly isPortFree?: (port: number) => Promise<boolean>;
  readonly env?: NodeJS.ProcessEnv;
}

/** The order checks are reported in. */
const ORDER: readonly PreflightCheck['name'][] = ['mode', 'docker', 'image', 'executable', 'model', 'port', 'gpu'];

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

async function checkExecutable(executable: string, title: string, env: NodeJS.ProcessEnv): Promise<PreflightCheck> {
  const found = await onPath(executable, env);
  return found
    ? { name: 'executable', ok: true, detail: `${executable} at ${found}` }
    : {
        name: 'executable',
        ok: false,
        detail: `${executable} is not on PATH`,
        hint: `install ${title} or use --mode docker`,
        code: 'ENGINE_FAILED',
      };
}

async function checkPort(port: number, free: (port: number) => Promise<boolean>): Promise<PreflightCheck> {
  return (await free(port))
    ? { name: 'port', ok: true, detail: `port ${port} free on 127.0.0.1` }
    : {
        name: 'port',
        ok: false,
        detail: `port ${port} is in use on 127.0.0.1`,
        hint: 'stop what listens there or pass --port',
        code: 'PORT_IN_USE',
      };
}

/**
 * Checks a launch plan against the machine before anything starts: the plan's own findings (mode,
 * model, GPUs, an image for this host) plus Docker and the image (or the native executable) and
 * the port. Every check runs, so every problem is reported at once; a check that depends on an
 * earlier failure (the image, when Docker is down) is left out.
 */
export async function preflightPlan(plan: LaunchPlan, deps: PreflightDeps = {}): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = [...plan.checks];
  if (plan.checks.some((c) => c.name === 'mode' && !c.ok)) return checks;
  const env = deps.env ?? process.env;
  const { definition } = plan;
  if (plan.mode === 'docker') {
    const docker = await checkDocker(deps.runtime, env);
    checks.push(docker);
    if (plan.image && docker.ok && deps.runtime)
      checks.push(await checkImage(plan.image, deps.runtime, deps.pull ?? false));
  } else if (plan.mode === 'native' && definition.nativeExecutable) {
    checks.push(await checkExecutable(definition.nativeExecutable, definition.title, env));
  }
  if (plan.port !== 0) checks.push(await checkPort(plan.port, deps.isPortFree ?? isPortFree));
  return checks.sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
}

/**
 * The checks of `kitt engines check`: gather the facts, plan the launch, check the plan. Nothing
 * is started and no port is kept.
 */
export async function preflight(
  request: EngineRequest,
  deps: PreflightDeps & LaunchFactSources,
): Promise<PreflightCheck[]> {
  const facts = await gatherLaunchFacts(request, deps);
  return preflightPlan(planLaunch(request, facts), deps);
}

/**
 * Throws when a check failed: one error naming every problem with its fix, coded by the first
 * (a single problem reads as before: its line, and its fix as the hint).
 */
export function assertPreflight(checks: readonly PreflightCheck[]): void {
  const failed = checks.filter((c) => !c.ok);
  const first = failed[0];
  if (!first) return;
  const details = { failedChecks: failed.map((c) => c.detail) };
  if (failed.length === 1) {
    throw new KittError(first.code ?? 'ENGINE_FAILED', first.detail, {
      ...(first.hint ? { hint: first.hint } : {}),
      details,
    });
  }
  const listed = failed.map((c, i) => `(${i + 1}) ${c.detail}${c.hint ? ` — fix: ${c.hint}` : ''}`).join('; ');
  throw new KittError(first.code ?? 'ENGINE_FAILED', `${failed.length} problems before starting: ${listed}`, {
    hint: 'fix each problem listed, then run again',
    details,
  });
}
