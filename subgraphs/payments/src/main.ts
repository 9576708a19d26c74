import { runMain } from '@bazaar/service';
import { service } from './index';

await runMain(() => service.start(service.loadConfig(process.env)));
