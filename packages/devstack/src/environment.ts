import type { JWK } from 'jose';
import { subgraphPortVariable, subgraphUrlVariable, type SubgraphDefinition } from '@bazaar/router';

export type Env = Record<string, string | undefined>;

export const databaseUrlVariable = (service: string) => `${service.toUpperCase()}_DATABASE_URL`;
export const databaseName = (service: string) => service;
export const databaseRole = (service: string) => `${service}_service`;

export interface ServiceWiring {
  /** The environment every process of the stack inherits (NODE_ENV, LOG_LEVEL, HOST…). */
  base: Env;
  signingKey: JWK;
  /** Where the users service serves its public keys, for every other subgraph. */
  jwksUrl: string;
  databaseUrls: Record<string, string>;
  ports: Record<string, number>;
}

/** The environment one subgraph is started with, in the dev stack and in tests alike. */
export function subgraphEnvironment(definition: SubgraphDefinition, wiring: ServiceWiring): Env {
  const { name } = definition;
  return {
    ...wiring.base,
    [subgraphPortVariable(name)]: String(wiring.ports[name]),
    [databaseUrlVariable(name)]: wiring.databaseUrls[name],
    ...(name === 'users' ? { AUTH_SIGNING_KEY: JSON.stringify(wiring.signingKey) } : { AUTH_JWKS_URL: wiring.jwksUrl }),
  };
}

export function routerEnvironment(subgraphs: readonly SubgraphDefinition[], routerPort: number, wiring: ServiceWiring): Env {
  return {
    ...wiring.base,
    ROUTER_PORT: String(routerPort),
    ...Object.fromEntries(
      subgraphs.map(({ name }) => [subgraphUrlVariable(name), `http://127.0.0.1:${wiring.ports[name]}/graphql`]),
    ),
  };
}
