import { runReplayContract } from '../testing/replay-contract.js';

/** Tier 1: Ollama's recorded responses, replayed, run the engine contract with kitt's load client. */
runReplayContract('ollama', {
  skips: { metrics: 'Ollama serves no Prometheus endpoint' },
});
