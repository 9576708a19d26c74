// First: tracing hooks the libraries the service loads next.
import '@bazaar/telemetry/start';
import { runMain } from '@bazaar/service';
import { loadRouterConfig, startRouter } from './index';

await runMain(() => startRouter(loadRouterConfig()));
