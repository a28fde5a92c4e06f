#!/usr/bin/env node
import { startTelemetry } from '../telemetry/telemetry.js';

// The entry point of `cloudledger` (and `npm start`). OpenTelemetry patches modules as they are
// loaded, so tracing starts — when the OTEL_* variables ask for it — before anything else is
// imported: the program comes in only afterwards, by a dynamic import.
await startTelemetry({ esmHook: true });
await import('./program.js');
