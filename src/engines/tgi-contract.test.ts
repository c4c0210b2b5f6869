import { runReplayContract } from '../testing/replay-contract.js';

/**
 * Tier 1: TGI's recorded responses, replayed. TGI is loaded over its OpenAI-compatible chat
 * endpoint. Runs once the tgi adapter is in the catalog.
 */
runReplayContract('tgi', {
  loadVia: 'chat',
  skips: {
    stream: 'no public recording of a TGI /v1/completions stream (fixtures/SOURCES.md)',
  },
});
