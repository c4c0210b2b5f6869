import { startReplayedEngine } from './contract-adapters.js';
import { type ContractOptions, runEngineContract } from './engine-contract.js';

/**
 * The engine contract against a replay of the engine's recorded responses
 * (src/engines/fixtures/<name>/, sources in SOURCES.md). Needs only the engine's name: the load
 * target comes from its catalog definition, as in a real run.
 */
export function runReplayContract(name: string, options: Omit<ContractOptions, 'recorded'> = {}): void {
  runEngineContract(`${name} (replayed)`, () => startReplayedEngine(name), { ...options, recorded: true });
}
