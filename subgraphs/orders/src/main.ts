// First: tracing hooks the libraries the service loads next.
import '@bazaar/telemetry/start';
import { runMain } from '@bazaar/service';
import { service } from './index';

await runMain(() => service.start(service.loadConfig(process.env)));
