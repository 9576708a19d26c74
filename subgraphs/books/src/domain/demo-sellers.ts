/**
 * The users service's demo sellers (subgraphs/users/src/demo.ts, whose ids are fixed for this): the
 * demo catalog's listings belong to them, so `seller { displayName }` resolves in development.
 * test/seed.test.ts checks the two lists agree.
 */
export const DEMO_SELLER_IDS: readonly string[] = [
  '0193a000-0000-7000-8000-000000005e01', // Sam Seller
  '0193a000-0000-7000-8000-000000005e02', // Corner Bookshop
  '0193a000-0000-7000-8000-000000005e03', // Rare Finds Rita
];
