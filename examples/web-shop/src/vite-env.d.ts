/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The router's GraphQL endpoint; default http://localhost:4000/graphql. */
  readonly VITE_ROUTER_URL?: string;
}
