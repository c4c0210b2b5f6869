/** One chat message as agents send it: tool results travel as user messages, which every engine takes. */
export interface AgentMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** The messages one step added: its prompt, the answer, and the tool's result when it acted. */
export interface Turn {
  readonly step: number;
  readonly messages: readonly AgentMessage[];
}

/**
 * An agent's growing conversation and the context policy: **truncate**, dropping the oldest turns
 * whole until the next request fits the limit. Summarising would cost a think of its own per cut
 * and, on the random-weight models kitt synthesises, would summarise nonsense; truncation keeps
 * every think one request, so the bucket and the timings count exactly the agent's own work.
 *
 * The limit counts prompt + answer: a request fits when its prompt estimate plus `maxTokens` is at
 * most `contextLimit`. Prompt tokens are estimated from characters with the ratio the engine's own
 * counts showed so far (`usage.prompt_tokens` over the characters sent), starting at 4 characters
 * per token; the estimate is only used to cut, every reported length is the engine's count.
 */
export class Conversation {
  private turns: Turn[] = [];
  private tokensPerChar = 0.25;
  private observations = 0;
  /** Turns dropped so far. */
  dropped = 0;

  constructor(
    readonly contextLimit: number,
    readonly maxTokens: number,
  ) {}

  get turnCount(): number {
    return this.turns.length;
  }

  /** Adds a finished step's messages. */
  append(turn: Turn): void {
    this.turns.push(turn);
  }

  /**
   * The messages of the next request: system (with the recalled memories), the kept turns, then the
   * step's prompt. Drops the oldest turns first when the estimate would pass the limit; returns how
   * many it dropped now.
   */
  requestFor(
    system: string,
    prompt: string,
  ): { messages: AgentMessage[]; droppedNow: number; estimatedTokens: number } {
    let droppedNow = 0;
    for (;;) {
      const messages: AgentMessage[] = [
        { role: 'system', content: system },
        ...this.turns.flatMap((turn) => turn.messages),
        { role: 'user', content: prompt },
      ];
      const estimatedTokens = this.estimateTokens(messages);
      if (estimatedTokens + this.maxTokens <= this.contextLimit || this.turns.length === 0) {
        this.dropped += droppedNow;
        return { messages, droppedNow, estimatedTokens };
      }
      this.turns.shift();
      droppedNow++;
    }
  }

  /** Learns the engine's tokens per character from a request it counted. */
  observe(messages: readonly AgentMessage[], promptTokens: number): void {
    const chars = charsOf(messages);
    const textTokens = promptTokens - TEMPLATE_TOKENS_PER_MESSAGE * messages.length;
    if (chars === 0 || textTokens <= 0) return;
    // a running mean over requests, so one odd request does not swing the cut
    this.observations++;
    this.tokensPerChar += (textTokens / chars - this.tokensPerChar) / this.observations;
  }

  estimateTokens(messages: readonly AgentMessage[]): number {
    // each message costs a few template tokens (role markers) beside its text
    return Math.ceil(charsOf(messages) * this.tokensPerChar) + TEMPLATE_TOKENS_PER_MESSAGE * messages.length;
  }
}

const TEMPLATE_TOKENS_PER_MESSAGE = 4;

function charsOf(messages: readonly AgentMessage[]): number {
  return messages.reduce((sum, message) => sum + message.content.length, 0);
}
