import { main } from './main.js';

// The process entry: main() never exits by itself, so open handles (pools, timers) cannot keep
// a finished command alive, and the exit code comes from one table.
const code = await main(process.argv);
process.exit(code);
