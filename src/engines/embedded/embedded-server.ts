import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type GenerationOutcome, generateText } from './generate-text.js';
import type { LlamaTextModel, ModelSlot } from './llama-text-model.js';
import { BadRequestError, type GenerationRequest, parseGenerationRequest } from './openai-request.js';
import { ServerMetrics } from './server-metrics.js';
import { SlotPool } from './slot-pool.js';

/** Request bodies larger than this are refused (a 1M-token prompt is about 4 MB of text). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

type ErrorType =
  | 'invalid_request_error'
  | 'not_found_error'
  | 'unavailable_error'
  | 'server_error'
  | 'exceed_context_size_error';

/** The OpenAI error body llama-server answers with. */
function sendError(res: ServerResponse, status: number, type: ErrorType, message: string, param?: string): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  sendJson(res, status, { error: { code: status, type, message, ...(param ? { param } : {}) } });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_BODY_BYTES) throw new BadRequestError(`the request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`the request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Aborted when the client goes away before the response is complete. */
function abortOnDisconnect(res: ServerResponse): AbortController {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller;
}

/**
 * kitt's embedded engine as an OpenAI-compatible HTTP server, shaped after llama-server:
 * completions and chat (streamed and not), /health, /v1/models, /tokenize, /detokenize and /metrics.
 * It answers 503 on /health and the generation routes until a model is attached.
 */
export class EmbeddedServer {
  readonly http: Server;
  readonly metrics = new ServerMetrics();
  private model: LlamaTextModel | undefined;
  private pool: SlotPool<ModelSlot> | undefined;
  private readonly created = Math.floor(Date.now() / 1_000);

  constructor() {
    this.http = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        if (error instanceof BadRequestError) sendError(res, 400, 'invalid_request_error', error.message, error.param);
        else sendError(res, 500, 'server_error', error instanceof Error ? error.message : String(error));
      });
    });
  }

  /** Requests holding a slot now. */
  get processing(): number {
    return this.pool?.processing ?? 0;
  }

  /** The model is loaded: /health turns 200 and requests are served. */
  attach(model: LlamaTextModel): void {
    this.model = model;
    this.pool = new SlotPool(model.slots);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/health') return this.health(res);
    if (method === 'GET' && path === '/metrics') return this.renderMetrics(res);
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) return this.models(res);
    if (method === 'POST') {
      if (path === '/v1/completions' || path === '/completions') return this.generate(req, res, 'completion');
      if (path === '/v1/chat/completions' || path === '/chat/completions') return this.generate(req, res, 'chat');
      if (path === '/tokenize') return this.tokenize(req, res);
      if (path === '/detokenize') return this.detokenize(req, res);
    }
    sendError(res, 404, 'not_found_error', `no route ${method} ${path}`);
  }

  private loaded(res: ServerResponse): LlamaTextModel | undefined {
    if (!this.model) sendError(res, 503, 'unavailable_error', 'Loading model');
    return this.model;
  }

  private health(res: ServerResponse): void {
    if (this.loaded(res)) sendJson(res, 200, { status: 'ok' });
  }

  private renderMetrics(res: ServerResponse): void {
    const counter = this.model?.decodeCounter ?? { calls: 0, busySlots: 0 };
    const text = this.metrics.render({
      requestsProcessing: this.pool?.processing ?? 0,
      requestsDeferred: this.pool?.deferred ?? 0,
      decodeCalls: counter.calls,
      busySlotsInDecodes: counter.busySlots,
    });
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(text);
  }

  private models(res: ServerResponse): void {
    const model = this.loaded(res);
    if (!model) return;
    sendJson(res, 200, {
      object: 'list',
      data: [
        {
          id: model.name,
          object: 'model',
          created: this.created,
          owned_by: 'kitt',
          meta: { n_ctx: model.contextSize },
        },
      ],
    });
  }

  private async tokenize(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readJson(req)) as Record<string, unknown> | null;
    const model = this.loaded(res);
    if (!model) return;
    const content = body?.content ?? body?.prompt;
    if (typeof content !== 'string') throw new BadRequestError("'content' must be a string", 'content');
    const tokens = model.tokenize(content, {
      addSpecial: body?.add_special === true,
      parseSpecial: body?.parse_special !== false,
    });
    sendJson(res, 200, { tokens });
  }

  private async detokenize(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readJson(req)) as Record<string, unknown> | null;
    const model = this.loaded(res);
    if (!model) return;
    const tokens = body?.tokens;
    if (!Array.isArray(tokens) || !tokens.every((token) => Number.isInteger(token) && token >= 0)) {
      throw new BadRequestError("'tokens' must be an array of token ids", 'tokens');
    }
    sendJson(res, 200, { content: model.detokenize(tokens as number[]) });
  }

  private async generate(req: IncomingMessage, res: ServerResponse, kind: 'completion' | 'chat'): Promise<void> {
    const request = parseGenerationRequest(kind, await readJson(req));
    const model = this.loaded(res);
    if (!model || !this.pool) return;
    const promptTokens = model.promptTokens(request.input);
    if (promptTokens.length >= model.contextSize) {
      sendError(
        res,
        400,
        'exceed_context_size_error',
        `the request exceeds the available context size: ${promptTokens.length} prompt tokens, ${model.contextSize} in the context`,
      );
      return;
    }
    const disconnect = abortOnDisconnect(res);
    const lease = await this.pool.acquire(disconnect.signal).catch(() => undefined);
    if (!lease) return;
    const reply = new Reply(res, request, model.name, kind);
    let outcome: GenerationOutcome | undefined;
    try {
      outcome = await generateText({
        model,
        slot: lease.slot,
        promptTokens,
        params: request.params,
        onText: (text) => reply.text(text),
        signal: disconnect.signal,
      });
      this.metrics.record(outcome.timings);
    } catch (error) {
      if (disconnect.signal.aborted) return;
      throw error;
    } finally {
      lease.release();
    }
    reply.finish(outcome);
  }
}

/** Builds the OpenAI response for one request: SSE chunks as text arrives, or one JSON body at the end. */
class Reply {
  private readonly id: string;
  private readonly created = Math.floor(Date.now() / 1_000);
  private readonly parts: string[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly request: GenerationRequest,
    private readonly model: string,
    private readonly kind: 'completion' | 'chat',
  ) {
    this.id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`;
    if (request.stream) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      // OpenAI opens a chat stream with the role alone
      if (kind === 'chat')
        this.event({ choices: [{ index: 0, delta: { role: 'assistant' }, logprobs: null, finish_reason: null }] });
    }
  }

  private event(fields: Record<string, unknown>): void {
    const object = this.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    const body = { id: this.id, object, created: this.created, model: this.model, ...fields };
    this.res.write(`data: ${JSON.stringify(body)}\n\n`);
  }

  private choice(text: string, finishReason: string | null): Record<string, unknown> {
    return this.kind === 'chat'
      ? { index: 0, delta: text === '' ? {} : { content: text }, logprobs: null, finish_reason: finishReason }
      : { index: 0, text, logprobs: null, finish_reason: finishReason };
  }

  text(text: string): void {
    if (this.request.stream) this.event({ choices: [this.choice(text, null)] });
    else this.parts.push(text);
  }

  finish(outcome: GenerationOutcome): void {
    const usage = {
      prompt_tokens: outcome.promptTokens,
      completion_tokens: outcome.completionTokens,
      total_tokens: outcome.promptTokens + outcome.completionTokens,
    };
    if (this.request.stream) {
      this.event({ choices: [this.choice('', outcome.finishReason)], timings: outcome.timings });
      if (this.request.includeUsage) this.event({ choices: [], usage, timings: outcome.timings });
      this.res.end('data: [DONE]\n\n');
      return;
    }
    const text = this.parts.join('');
    const choice =
      this.kind === 'chat'
        ? {
            index: 0,
            message: { role: 'assistant', content: text },
            logprobs: null,
            finish_reason: outcome.finishReason,
          }
        : { index: 0, text, logprobs: null, finish_reason: outcome.finishReason };
    sendJson(this.res, 200, {
      id: this.id,
      object: this.kind === 'chat' ? 'chat.completion' : 'text_completion',
      created: this.created,
      model: this.model,
      choices: [choice],
      usage,
      timings: outcome.timings,
    });
  }
}
