#!/usr/bin/env node
import '../dist/cli/agent-entry.js';
