import type { LoadTarget } from './load-target.js';

/** One prompt ready to send: its text, its length when known, and how many tokens to ask for. */
export interface PreparedPrompt {
  readonly text: string;
  /** Input tokens of `text` as the engine's tokenizer counts them; null when only approximate. */
  readonly inputTokens: number | null;
  /** Output tokens to request (max_tokens / num_predict). */
  readonly maxTokens: number;
  /**
   * Cache busting: the text is `head + marker(request id) + tail`, where the marker is three
   * vocabulary words unique to the request (as many tokens as the marker the length was built with)
   * and the head is the run's salt words, then the shared prefix if any.
   */
  readonly bust?: { readonly head: string; readonly tail: string };
}

/** The prompt text sent for request `id`. */
export function promptText(prompt: PreparedPrompt, id: number): string {
  return prompt.bust ? `${prompt.bust.head}${bustMarker(id)}${prompt.bust.tail}` : prompt.text;
}

/** Request-words: a vocabulary made of common English words BPE tokenizers keep whole. */
export const PROMPT_WORDS = (
  'the of and to in is was for on are as with his they at be this from have or by one had not but what all were ' +
  'when we there can an your which their said if do will each about how up out them then she many some so these ' +
  'would other into has more her two like him see time could no make than first been its who now people my made ' +
  'over did down only way find use may water long little very after words called just where most know get through ' +
  'back much go good new write our me man too any day same right look think also around another came come work ' +
  'three word must because does part even place well such here take why things help put years different away again ' +
  'off went old number great tell men say small every found still between name should home big give air line set own ' +
  'under read last never us left end along while might next sound below saw something thought both few those always ' +
  'looked show large often together asked house world going want school important until form food keep children feet'
).split(' ');

/** Three vocabulary words unique to request id (distinct for |PROMPT_WORDS|³ ids). */
export function bustMarker(id: number): string {
  const w = PROMPT_WORDS;
  const n = w.length;
  return `${w[id % n]} ${w[Math.floor(id / n) % n]} ${w[Math.floor(id / (n * n)) % n]}`;
}

/**
 * Three vocabulary words for a run's prompt salt (FNV-1a of the salt, spelt as a marker): the same
 * salt gives the same words, two salts the same words with odds 1 in |PROMPT_WORDS|³.
 */
export function saltWords(salt: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < salt.length; i++) hash = Math.imul(hash ^ salt.charCodeAt(i), 0x01000193) >>> 0;
  return bustMarker(hash % PROMPT_WORDS.length ** 3);
}

/**
 * The JSON body for one request. Output length: `max_tokens` everywhere, plus `ignore_eos` (and
 * `min_tokens`) where the server supports them so every answer has exactly max_tokens tokens;
 * Ollama has only `num_predict` (an upper bound), which the runner warns about.
 *
 * Built once per target and prompt as a template around the prompt text, then filled per request:
 * serialising the whole body for every request was 5 % of the client's CPU per request.
 */
export function buildRequestBody(target: LoadTarget, prompt: PreparedPrompt, id = 0): string {
  let perTarget = templates.get(target);
  if (perTarget === undefined) {
    perTarget = new WeakMap();
    templates.set(target, perTarget);
  }
  let template = perTarget.get(prompt);
  if (template === undefined) {
    template = bodyTemplate(target, prompt);
    perTarget.set(prompt, template);
  }
  // The marker is vocabulary words and spaces: nothing in it needs JSON escaping.
  return template.kind === 'whole' ? template.body : template.before + bustMarker(id) + template.after;
}

type BodyTemplate =
  | { readonly kind: 'whole'; readonly body: string }
  | { readonly kind: 'bust'; readonly before: string; readonly after: string };

const templates = new WeakMap<LoadTarget, WeakMap<PreparedPrompt, BodyTemplate>>();

/** Stands where the prompt text goes while a template is made (no other field of a body holds a NUL). */
const TEXT_SLOT = '\u0000kitt-prompt-text\u0000';

/** A string's JSON form without its quotes, ready to put between the quotes of a template. */
function jsonInner(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function bodyTemplate(target: LoadTarget, prompt: PreparedPrompt): BodyTemplate {
  const [before, after, ...rest] = JSON.stringify(bodyObject(target, prompt, TEXT_SLOT)).split(jsonInner(TEXT_SLOT));
  if (before === undefined || after === undefined || rest.length > 0) {
    throw new Error('request body template: the prompt slot must occur exactly once');
  }
  if (prompt.bust) {
    return { kind: 'bust', before: before + jsonInner(prompt.bust.head), after: jsonInner(prompt.bust.tail) + after };
  }
  return { kind: 'whole', body: before + jsonInner(prompt.text) + after };
}

/** The body as an object, with `text` as the prompt. */
export function bodyObject(target: LoadTarget, prompt: PreparedPrompt, text: string): Record<string, unknown> {
  const stream = target.stream ?? true;
  const { supports } = target;
  switch (target.api) {
    case 'openai-completions':
    case 'openai-chat': {
      const body: Record<string, unknown> = { model: target.model, max_tokens: prompt.maxTokens, stream };
      if (target.api === 'openai-chat') body.messages = [{ role: 'user', content: text }];
      else body.prompt = text;
      if (stream) {
        body.stream_options =
          supports.usage === 'continuous'
            ? { include_usage: true, continuous_usage_stats: true }
            : { include_usage: true };
      }
      if (supports.ignoreEos) body.ignore_eos = true;
      if (supports.minTokens) body.min_tokens = prompt.maxTokens;
      return body;
    }
    case 'ollama-generate':
    case 'ollama-chat': {
      const body: Record<string, unknown> = { model: target.model, stream, options: { num_predict: prompt.maxTokens } };
      if (target.api === 'ollama-chat') body.messages = [{ role: 'user', content: text }];
      else body.prompt = text;
      return body;
    }
  }
}
