#!/usr/bin/env node
// The CLI runs from the compiled output: `npm run build` (npm start builds first).
import '../dist/adapters/cli/main.js';
