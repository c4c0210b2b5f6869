import { runReplayContract } from '../testing/replay-contract.js';

/** Tier 1: vLLM's recorded responses, replayed, run the engine contract with kitt's load client. */
runReplayContract('vllm');
