import { basename } from 'node:path';
import {
  type ChatHistoryItem,
  ChatMLChatWrapper,
  getLlama,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  LlamaLogLevel,
  type LlamaModel,
  resolveChatWrapper,
  TokenBias,
} from 'node-llama-cpp';
import type { ChatMessage, GenerationInput } from './openai-request.js';
import type { EmbeddedServerOptions } from './server-options.js';

/** One parallel slot: a context sequence of its own. */
export interface ModelSlot {
  readonly id: number;
  readonly sequence: LlamaContextSequence;
}

/** Counts the decode calls llama.cpp makes and how many slots were busy in each. */
export interface DecodeCounter {
  readonly calls: number;
  readonly busySlots: number;
}

/**
 * A GGUF loaded through node-llama-cpp on the CPU with one context of `parallel` sequences: what the
 * server needs of it, in tokens. Nothing here ever builds or downloads llama.cpp: `build: 'never'`
 * takes the prebuilt binary or fails.
 */
export class LlamaTextModel {
  readonly slots: readonly ModelSlot[];
  private readonly decodes = { calls: 0, busySlots: 0 };
  private readonly chatWrapper;
  private readonly endOfGeneration: readonly number[];

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    /** The model name requests carry and /v1/models lists. */
    readonly name: string,
    /** Tokens of context each slot holds (prompt + generation). */
    readonly contextSize: number,
    busySlots: () => number,
  ) {
    this.slots = Array.from({ length: context.totalSequences }, (_, id) => ({ id, sequence: context.getSequence() }));
    this.chatWrapper = resolveChatWrapper(model) ?? new ChatMLChatWrapper();
    const candidates: Array<number | null> = [model.tokens.eos, model.tokens.eot];
    this.endOfGeneration = candidates.filter(
      (token): token is number => token !== null && model.isEogToken(token as never),
    );
    this.countDecodes(busySlots);
  }

  /** Loads the model and creates its context; `log` receives llama.cpp's warnings and errors. */
  static async load(
    options: EmbeddedServerOptions,
    log: (line: string) => void,
    busySlots: () => number,
  ): Promise<LlamaTextModel> {
    const llama = await getLlama({
      gpu: false,
      build: 'never',
      skipDownload: true,
      progressLogs: false,
      maxThreads: options.threads,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => log(`llama.cpp ${level}: ${message.trimEnd()}`),
    });
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: 0 });
      const contextSize = Math.min(options.ctxSize, model.trainContextSize);
      const context = await model.createContext({
        sequences: options.parallel,
        contextSize,
        batchSize: Math.min(options.batchSize, contextSize),
        threads: options.threads,
      });
      const name = options.alias ?? basename(options.modelPath);
      return new LlamaTextModel(llama, model, context, name, context.contextSize, busySlots);
    } catch (error) {
      await llama.dispose().catch(() => undefined);
      throw error;
    }
  }

  /**
   * node-llama-cpp batches all sequences into shared decode calls and exposes no count of them;
   * llama-server reports one (`n_decode_total`), so the native call is wrapped where it exists.
   */
  private countDecodes(busySlots: () => number): void {
    const native = (this.context as unknown as { _ctx?: { decodeBatch?: () => Promise<void> } })._ctx;
    const decodeBatch = native?.decodeBatch;
    if (!native || typeof decodeBatch !== 'function') return;
    // the method is a read-only property of the native prototype: shadow it on the instance
    Object.defineProperty(native, 'decodeBatch', {
      configurable: true,
      value: () => {
        this.decodes.calls += 1;
        this.decodes.busySlots += busySlots();
        return decodeBatch.call(native);
      },
    });
  }

  get decodeCounter(): DecodeCounter {
    return { ...this.decodes };
  }

  /** Like llama-server's /tokenize: special tokens added (BOS) and parsed only when asked. */
  tokenize(text: string, options: { addSpecial: boolean; parseSpecial: boolean }): number[] {
    const tokens = this.model.tokenize(text, options.parseSpecial) as number[];
    const bos = this.model.tokens.bos;
    return options.addSpecial && bos !== null && this.model.tokens.shouldPrependBosToken ? [bos, ...tokens] : tokens;
  }

  /** Text of `tokens`; `previous` tokens fix the leading space a piece has in context. */
  detokenize(tokens: readonly number[], previous: readonly number[] = []): string {
    return this.model.detokenize(tokens as never, false, previous as never);
  }

  isEndOfGeneration(token: number): boolean {
    return this.model.isEogToken(token as never);
  }

  /** The prompt's tokens: a completion prompt with BOS, or the chat rendered by the model's template. */
  promptTokens(input: GenerationInput): number[] {
    if (input.kind === 'completion') {
      if (typeof input.prompt !== 'string') return [...input.prompt];
      return this.tokenize(input.prompt, { addSpecial: true, parseSpecial: true });
    }
    const { contextText } = this.chatWrapper.generateContextState({ chatHistory: chatHistory(input.messages) });
    return contextText.tokenize(this.model.tokenizer) as number[];
  }

  /** A bias that makes end-of-generation tokens impossible (llama.cpp's ignore_eos does the same). */
  suppressEndOfGeneration(): TokenBias {
    const bias = new TokenBias(this.model.tokenizer);
    // TokenBias.set skips EOS/EOT on purpose; its map is what reaches the sampler
    const biases = (bias as unknown as { _biases?: Map<number, number> })._biases;
    for (const token of this.endOfGeneration) biases?.set(token, Number.NEGATIVE_INFINITY);
    return bias;
  }

  /** A bias that changes nothing. */
  noBias(): TokenBias {
    return new TokenBias(this.model.tokenizer);
  }

  async dispose(): Promise<void> {
    await this.context.dispose().catch(() => undefined);
    await this.model.dispose().catch(() => undefined);
    await this.llama.dispose().catch(() => undefined);
  }
}

/** OpenAI messages as node-llama-cpp's chat history, ending in an open model turn to complete. */
function chatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message) => {
    if (message.role === 'system') return { type: 'system', text: message.content };
    if (message.role === 'user') return { type: 'user', text: message.content };
    return { type: 'model', response: [message.content] };
  });
  history.push({ type: 'model', response: [] });
  return history;
}
