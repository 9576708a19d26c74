import { databaseUrlVariable, ROUTER, subgraphPortVariable, subgraphUrlVariable, type SubgraphDefinition } from './topology';

export type Env = Record<string, string | undefined>;

/** A service's database is named after it and reached as its own role (docs/architecture.md). */
export const databaseName = (service: string) => service;
export const databaseRole = (service: string) => `${service}_service`;

export interface ServiceWiring {
  /** The environment every process of the stack inherits (NODE_ENV, LOG_LEVEL, HOST…). */
  base: Env;
  /** The users service's signing key (a JWK), handed to it alone. */
  signingKey: object;
  /** Where the users service serves its public keys, for every other subgraph. */
  jwksUrl: string;
  databaseUrls: Record<string, string>;
  ports: Record<string, number>;
}

/** The environment one subgraph is started with, by `npm start` and by the test harness alike. */
export function subgraphEnvironment(definition: SubgraphDefinition, wiring: ServiceWiring): Env {
  const { name } = definition;
  return {
    ...wiring.base,
    [subgraphPortVariable(name)]: String(wiring.ports[name]),
    [databaseUrlVariable(name)]: wiring.databaseUrls[name],
    ...(name === 'users' ? { AUTH_SIGNING_KEY: JSON.stringify(wiring.signingKey) } : { AUTH_JWKS_URL: wiring.jwksUrl }),
  };
}

/** The router's environment: its port, and where each running subgraph answers. */
export function routerEnvironment(subgraphUrls: Record<string, string>, routerPort: number, base: Env): Env {
  return {
    ...base,
    [ROUTER.portVariable]: String(routerPort),
    ...Object.fromEntries(Object.entries(subgraphUrls).map(([name, url]) => [subgraphUrlVariable(name), url])),
  };
}
