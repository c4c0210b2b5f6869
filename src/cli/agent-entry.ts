import { agentMain } from './agent/agent-main.js';

// The kitt-agent process entry: agentMain() never exits by itself, and the exit code comes from
// the same table as kitt's.
const code = await agentMain(process.argv);
process.exit(code);
