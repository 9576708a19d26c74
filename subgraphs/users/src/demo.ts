import type { Role } from '@bazaar/service';

/**
 * Demo accounts created on first start in development so the graph can be tried at once. The
 * passwords are public (README); these accounts are never created in production mode.
 */
export const DEMO_ACCOUNTS: ReadonlyArray<{ email: string; password: string; displayName: string; roles: Role[] }> = [
  { email: 'buyer@demo.bookbazaar.dev', password: 'demo-buyer-password', displayName: 'Bea Buyer', roles: ['BUYER'] },
  { email: 'seller@demo.bookbazaar.dev', password: 'demo-seller-password', displayName: 'Sam Seller', roles: ['BUYER', 'SELLER'] },
  { email: 'admin@demo.bookbazaar.dev', password: 'demo-admin-password', displayName: 'Ada Admin', roles: ['BUYER', 'ADMIN'] },
];
