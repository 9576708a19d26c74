/**
 * Imported first by every entry point (`import '@bazaar/telemetry/start'`), so that OpenTelemetry
 * hooks `pg`, `graphql` and `http` before anything loads them. Off unless OTEL_TRACES_EXPORTER asks.
 */
import { basename, dirname } from 'node:path';
import { startTracing } from './tracing';

/** `subgraphs/orders/src/main.ts` → `orders`, `router/src/main.ts` → `router`. */
const serviceOfEntry = (entry: string | undefined) => (entry ? basename(dirname(dirname(entry))) : 'bazaar');

startTracing({ service: process.env.OTEL_SERVICE_NAME ?? serviceOfEntry(process.argv[1]) });
