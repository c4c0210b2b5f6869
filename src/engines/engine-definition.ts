import type { Progress } from '../core/progress.js';
import type { EngineApi, EngineMode, EngineName, EngineRequest } from './engine.js';
import type { StartedHandle } from './started-handle.js';

/** Kept for callers that name engines hosted as servers; every catalog name is one now. */
export type ServerEngineName = EngineName;

/** On-disk model formats kitt can recognise. */
export type ModelFormat = 'gguf' | 'safetensors' | 'pytorch' | 'exl2' | 'gptq';

/** What a model path turned out to be. `servePath` is the file or folder the engine must load. */
export interface DetectedModel {
  readonly format: ModelFormat;
  /** Absolute path of the file (GGUF) or folder (Hugging Face layouts) the engine loads. */
  readonly servePath: string;
  readonly kind: 'file' | 'directory';
}

/** A model check: either the model fits the engine, or one line saying why not and how to fix it. */
export type ModelCheck =
  | { readonly ok: true; readonly model: DetectedModel }
  | { readonly ok: false; readonly message: string; readonly hint: string };

/** The machine an image is chosen for. */
export interface HostPlatform {
  readonly arch: 'amd64' | 'arm64';
  /** Highest CUDA compute capability of the host's GPUs (e.g. 8.9, 12.1); undefined without a GPU. */
  readonly gpuComputeCapability?: number;
}

/** One image the catalog may pick, with the rule that picks it. */
export interface ImageChoice {
  readonly image: string;
  readonly arch?: 'amd64' | 'arm64';
  /** Picked only when a GPU is requested and the host has at least this compute capability. */
  readonly minComputeCapability?: number;
  /** Picked only when a GPU is (true) or is not (false) requested; undefined: either. */
  readonly gpu?: boolean;
  /** Entrypoint to set when the image's own does not start the server the same way. */
  readonly entrypoint?: readonly string[];
  /** Set for images kitt builds itself: the script that builds them (never pulled). */
  readonly buildScript?: string;
}

/** The image chosen for one launch, and why. */
export interface SelectedImage {
  readonly image: string;
  readonly entrypoint?: readonly string[];
  readonly buildScript?: string;
  /** 'override' when it came from --image or config, 'catalog' otherwise. */
  readonly source: 'override' | 'catalog';
}

/**
 * The engine's own timing report inside responses: llama.cpp-style `timings` objects, Ollama-style
 * `*_duration` nanosecond fields, or none. The response decoder reads only the one named.
 */
export type EngineReportStyle = 'timings' | 'eval-durations' | 'none';

/** What the engine's API offers beyond a plain streamed completion (read by load clients and the contract suite). */
export interface EngineSupport {
  /** Generation can be forced to the requested length (ignore_eos / num_predict without stop). */
  readonly ignoreEos: boolean;
  /** `min_tokens` is honoured (sent beside ignore_eos). */
  readonly minTokens?: boolean;
  /** A tokenize endpoint exists (exact prompt token counts). */
  readonly tokenizePath?: string;
  /** Prometheus text endpoint, when the engine serves one. */
  readonly metricsPath?: string;
  /** The final streamed event carries token usage. */
  readonly usageInStream: boolean;
  readonly report: EngineReportStyle;
}

/**
 * Prometheus series the engine exports that kitt reads: token counters for the cross-check,
 * the gauge of requests waiting for a slot (calibration's queue depth), and the gauges that are
 * all zero when the engine is idle.
 */
export interface EngineMetricNames {
  readonly promptTokens: readonly string[];
  /** Prompt tokens served from the prompt cache, where the engine counts them apart from promptTokens. */
  readonly cachedPromptTokens?: readonly string[];
  readonly generatedTokens: readonly string[];
  readonly queueGauge?: string;
  readonly busyGauges?: readonly string[];
}

/** The request API kitt's load clients use against this engine (the load domain's LoadApi names). */
export type EngineLoadApi = 'openai-completions' | 'openai-chat' | 'ollama-generate' | 'ollama-chat';

/**
 * How the engine says it is ready: an HTTP GET answering 200 (never "anything below 500"), with a
 * body that matches when set.
 */
export interface ReadinessSpec {
  readonly httpPath: string;
  /** Model loading can be slow (vLLM compiles graphs); the default budget for readiness. */
  readonly timeoutMs: number;
  readonly bodyMatch?: RegExp;
}

/** A host command line (native mode, or the embedded engine's child). */
export interface NativeCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** What an engine decides about its container: the command and its own mounts and env. */
export interface EngineContainerPlan {
  readonly cmd: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Named volumes the engine keeps between runs (Ollama's model store). */
  readonly volumes?: ReadonlyArray<{ readonly name: string; readonly target: string }>;
  readonly shmSizeBytes?: number;
}

/** What argument builders get: the request (GPUs and port settled) and where the model is for the engine. */
export interface LaunchContext {
  readonly request: EngineRequest;
  readonly port: number;
  /**
   * The address the engine listens on: loopback here (host networking puts it on the host's
   * loopback, where kitt's clients are); every address in a Pod, where probes and the Service
   * arrive on the Pod's own address.
   */
  readonly bindAddress: string;
  readonly model: DetectedModel;
  /** The model's path as the engine sees it: in the container, or on the host. */
  readonly modelPath: string;
  /** Env from config and the engine profile (and CUDA_VISIBLE_DEVICES for host processes). */
  readonly env: Readonly<Record<string, string>>;
  /** CPUs kitt may use, for thread defaults. */
  readonly cpuCount?: number;
}

/**
 * Everything kitt knows about one engine: formats, ports, API, images, arguments, readiness, its
 * Prometheus names and how it is hosted. Code outside `engines/<name>` reads these capabilities
 * and never tests an engine's name.
 */
export interface EngineDefinition {
  readonly name: EngineName;
  /** Human name for tables and messages. */
  readonly title: string;
  /** Other spellings `-e` accepts (`llama-server`, `tabbyapi`). */
  readonly aliases?: readonly string[];
  /** 0: the engine binds a free port itself and reports it. */
  readonly defaultPort: number;
  readonly api: EngineApi;
  /** What load clients send to it (raw completions keep prompt lengths exact). */
  readonly loadApi: EngineLoadApi;
  readonly readiness: ReadinessSpec;
  readonly formats: readonly ModelFormat[];
  /** Whether -m names a file (a GGUF: the synthetic default model fits) or a model folder. */
  readonly modelKind: 'file' | 'directory';
  /** Modes it runs in; the first is the default. */
  readonly modes: readonly EngineMode[];
  readonly requiresGpu: boolean;
  readonly supports: EngineSupport;
  readonly metrics: EngineMetricNames;
  /** Candidate images, most specific first; see selectImage. */
  readonly images: readonly ImageChoice[];
  /** Executable the native mode runs (looked up on PATH). */
  readonly nativeExecutable?: string;
  /**
   * Set for engines whose concurrent contexts kitt sizes (`kitt calibrate`'s contexts phase): N
   * parallel slots (EngineRequest.parallel) of `flags.context` = N × tokens, at most `maxSlots`;
   * `ownFlags` are pass-through flags that would size them instead.
   */
  readonly contextSlots?: {
    readonly contextFlag: string;
    readonly maxSlots: number;
    readonly ownFlags: readonly string[];
  };
  /** The model name requests must carry (unless prepareModel says otherwise). */
  servedModelName(model: DetectedModel): string;
  /** The container's command, for docker mode. */
  containerPlan?(launch: LaunchContext): EngineContainerPlan;
  /** The host command line, for native mode (and the child of embedded mode). */
  hostCommand?(launch: LaunchContext): NativeCommand;
  /** Embedded mode: spawns kitt's own child from the planned command, in its own process group. */
  spawnChild?(command: NativeCommand): StartedHandle;
  /**
   * Runs once the server is ready, for engines that must be told about the model over their API
   * (Ollama) or that name it themselves (the embedded engine). Resolves to the model name requests
   * must carry.
   */
  prepareModel?(context: PrepareModelContext): Promise<string>;
}

/** What prepareModel gets: the ready server and the model on kitt's side. */
export interface PrepareModelContext {
  readonly baseUrl: string;
  readonly model: DetectedModel;
  readonly progress: Progress;
  readonly signal?: AbortSignal | undefined;
}
