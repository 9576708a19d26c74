import { runMain } from '@bazaar/service';
import { loadRouterConfig, startRouter } from './index';

await runMain(() => startRouter(loadRouterConfig()));
