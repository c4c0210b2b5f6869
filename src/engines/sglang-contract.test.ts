import { runReplayContract } from '../testing/replay-contract.js';

/**
 * Tier 1: SGLang's recorded responses, replayed. The public recording is a chat stream, so the
 * load checks go over chat. Runs once the sglang adapter is in the catalog.
 */
runReplayContract('sglang', {
  loadVia: 'chat',
  skips: {
    stream: 'no public recording of an SGLang /v1/completions stream (fixtures/SOURCES.md)',
    usage: 'the recorded SGLang stream holds no usage chunk (fixtures/SOURCES.md)',
  },
});
