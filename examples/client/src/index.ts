export { createBazaarCache, createBazaarClient, type BazaarClientOptions } from './client';
/** Typed documents (`SignUpDocument`, …) and their result and variable types, one per operation in schema/operations. */
export * from './generated/graphql';
