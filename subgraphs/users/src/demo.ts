import type { Role } from '@bazaar/service';

/**
 * Demo accounts created on first start in development so the graph can be tried at once. The
 * passwords are public (README); these accounts are never created in production mode. Their ids are
 * fixed so that other services' demo data (the books catalog's listings) can name the demo sellers.
 */
export const DEMO_ACCOUNTS: ReadonlyArray<{ id: string; email: string; password: string; displayName: string; roles: Role[] }> = [
  { id: '0193a000-0000-7000-8000-00000000b001', email: 'buyer@demo.bookbazaar.dev', password: 'demo-buyer-password', displayName: 'Bea Buyer', roles: ['BUYER'] },
  { id: '0193a000-0000-7000-8000-000000005e01', email: 'seller@demo.bookbazaar.dev', password: 'demo-seller-password', displayName: 'Sam Seller', roles: ['BUYER', 'SELLER'] },
  { id: '0193a000-0000-7000-8000-00000000ad01', email: 'admin@demo.bookbazaar.dev', password: 'demo-admin-password', displayName: 'Ada Admin', roles: ['BUYER', 'ADMIN'] },
  { id: '0193a000-0000-7000-8000-000000005e02', email: 'bookshop@demo.bookbazaar.dev', password: 'demo-bookshop-password', displayName: 'Corner Bookshop', roles: ['BUYER', 'SELLER'] },
  { id: '0193a000-0000-7000-8000-000000005e03', email: 'collector@demo.bookbazaar.dev', password: 'demo-collector-password', displayName: 'Rare Finds Rita', roles: ['BUYER', 'SELLER'] },
];
