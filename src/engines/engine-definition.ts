import type { Progress } from '../core/progress.js';
import type { ContainerSpec } from '../runtime/container-runtime.js';
import type { EngineApi, EngineMode, EngineName, EngineRequest } from './engine.js';

/** Engines that run as a separate server (container or host process), i.e. everything but `embedded`. */
export type ServerEngineName = Exclude<EngineName, 'embedded'>;

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

/** What the engine's API offers beyond a plain streamed completion (read by load clients and the contract suite). */
export interface EngineSupport {
  /** Generation can be forced to the requested length (ignore_eos / num_predict without stop). */
  readonly ignoreEos: boolean;
  /** A tokenize endpoint exists (exact prompt token counts). */
  readonly tokenizePath?: string;
  /** Prometheus text endpoint, when the engine serves one. */
  readonly metricsPath?: string;
  /** The final streamed event carries token usage. */
  readonly usageInStream: boolean;
}

/** How the engine says it is ready: an HTTP GET answering 200 (never "anything below 500"). */
export interface ReadinessSpec {
  readonly httpPath: string;
  /** Model loading can be slow (vLLM compiles graphs); the default budget for readiness. */
  readonly timeoutMs: number;
}

/** A host command line for native mode. */
export interface NativeCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Where things are for one container launch. */
export interface ContainerLaunch {
  /** The model's path as the Docker daemon's host sees it (translated when kitt runs in a container). */
  readonly hostModelPath: string;
  /** The detected model (path on kitt's side), for file names and formats. */
  readonly model: DetectedModel;
  readonly port: number;
  readonly image: SelectedImage;
  /** Who started it (user@host), recorded as the `kitt.owner` label. */
  readonly owner: string;
  /** Extra env from the engine profile. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Where things are for one native launch. */
export interface NativeLaunch {
  readonly model: DetectedModel;
  readonly port: number;
  readonly env?: Readonly<Record<string, string>>;
}

/** Everything kitt knows about one engine: ports, API, formats, images, and how to start it. */
export interface EngineDefinition {
  readonly name: ServerEngineName;
  /** Human name for tables and messages. */
  readonly title: string;
  readonly defaultPort: number;
  readonly api: EngineApi;
  readonly readiness: ReadinessSpec;
  readonly formats: readonly ModelFormat[];
  readonly modes: readonly EngineMode[];
  readonly requiresGpu: boolean;
  readonly supports: EngineSupport;
  /** Candidate images, most specific first; see selectImage. */
  readonly images: readonly ImageChoice[];
  /** Executable the native mode runs (looked up on PATH). */
  readonly nativeExecutable: string;
  /** Does the model at `path` fit this engine? */
  checkModel(path: string): Promise<ModelCheck>;
  /** The model name requests must carry. */
  servedModelName(model: DetectedModel): string;
  buildContainerSpec(request: EngineRequest, launch: ContainerLaunch): ContainerSpec;
  /**
   * Runs once the server is ready, for engines that must be told about the model over their API
   * (Ollama). Resolves to the model name requests must carry.
   */
  prepareModel?(context: PrepareModelContext): Promise<string>;
  buildNativeCommand(request: EngineRequest, launch: NativeLaunch): NativeCommand;
}

/** What prepareModel gets: the ready server and the model on kitt's side. */
export interface PrepareModelContext {
  readonly baseUrl: string;
  readonly model: DetectedModel;
  readonly progress: Progress;
  readonly signal?: AbortSignal | undefined;
}
