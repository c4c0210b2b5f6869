import { runReplayContract } from '../testing/replay-contract.js';

/** Tier 1: TabbyAPI (ExLlamaV2)'s recorded responses, replayed, run the engine contract. */
runReplayContract('exllamav2', {
  // TODO: record TabbyAPI's responses into fixtures/exllamav2/ (replay.json as for vllm/) when a GPU run is lent
  skipAll: 'no public recording of TabbyAPI responses was found (src/engines/fixtures/SOURCES.md)',
  skips: { metrics: 'TabbyAPI serves no Prometheus endpoint' },
});
