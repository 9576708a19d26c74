export * from './auth';
export * from './config';
export * from './errors';
export * from './logger';
export * from './scalars';
export * from './subgraph-server';
export * from './validation';
export { sendJson } from './http';
export { handleGraphQL } from './http';
