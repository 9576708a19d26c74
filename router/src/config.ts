import { z } from 'zod';
import { ConfigError, environment, loadConfig, logLevel, port, queryLimitsConfig, signingConfig } from '@bazaar/service';
import { corsOriginsSetting } from './cors';
import { ROUTER } from '@bazaar/topology';
import { SUBGRAPHS, SUPERGRAPH_PATH, subgraphUrlVariable } from './subgraphs';

const routerConfigSchema = z.object({
  NODE_ENV: environment,
  LOG_LEVEL: logLevel,
  HOST: z.string().default('127.0.0.1'),
  ROUTER_PORT: port(ROUTER.defaultPort),
  SUPERGRAPH_PATH: z.string().default(SUPERGRAPH_PATH),
  /** Origins whose pages may call the router (docs/for-client-developers.md); default: any local port outside production. */
  CORS_ORIGINS: corsOriginsSetting,
  /** Identical subgraph queries in flight at once share one call (router/src/subgraph-dedup.ts). */
  SUBGRAPH_DEDUP: z.enum(['true', 'false']).default('true').transform((value) => value === 'true'),
  /** Plans that are one fetch whose selection is the client's pass the subgraph's answer through (router/src/single-fetch.ts). */
  SINGLE_FETCH_PASS_THROUGH: z.enum(['true', 'false']).default('true').transform((value) => value === 'true'),
})
  .extend(queryLimitsConfig.shape)
  .extend(signingConfig.shape);

/** One optional `<NAME>_SUBGRAPH_URL` per subgraph, for when it is not where the supergraph says. */
const subgraphUrlsSchema = z.object(
  Object.fromEntries(SUBGRAPHS.map(({ name }) => [subgraphUrlVariable(name), z.string().url().optional()])),
);

export type RouterConfig = z.infer<typeof routerConfigSchema> & {
  /** Subgraph URL overrides by subgraph name. */
  subgraphUrls: Record<string, string>;
};

export function loadRouterConfig(env: Record<string, string | undefined> = process.env): RouterConfig {
  const config = loadConfig(routerConfigSchema, env);
  if (config.NODE_ENV === 'production' && !config.SUBGRAPH_SIGNING_SECRET) {
    throw new ConfigError(['SUBGRAPH_SIGNING_SECRET: required in production; the subgraphs refuse unsigned calls']);
  }
  const overrides = loadConfig(subgraphUrlsSchema, env) as Record<string, string | undefined>;
  const subgraphUrls: Record<string, string> = {};
  for (const { name } of SUBGRAPHS) {
    const url = overrides[subgraphUrlVariable(name)];
    if (url) subgraphUrls[name] = url;
  }
  return { ...config, subgraphUrls };
}
