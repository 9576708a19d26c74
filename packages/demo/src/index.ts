/**
 * The demo fixtures every service shares, as data only: the demo accounts that `npm start` creates
 * in development (never in production). The users service creates them; books lists the demo
 * catalog's copies under the demo sellers; reviews, cart and wishlist fill their demo data for these
 * ids; the launcher logs in as the demo buyer and prints the accounts. The ids are fixed so each
 * service can seed its own data for them without asking another. The passwords are public (README).
 */

export type DemoRole = 'BUYER' | 'SELLER' | 'ADMIN';

export interface DemoAccount {
  id: string;
  email: string;
  password: string;
  displayName: string;
  roles: readonly DemoRole[];
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { id: '0193a000-0000-7000-8000-00000000b001', email: 'buyer@demo.bookbazaar.dev', password: 'demo-buyer-password', displayName: 'Bea Buyer', roles: ['BUYER'] },
  { id: '0193a000-0000-7000-8000-000000005e01', email: 'seller@demo.bookbazaar.dev', password: 'demo-seller-password', displayName: 'Sam Seller', roles: ['BUYER', 'SELLER'] },
  { id: '0193a000-0000-7000-8000-00000000ad01', email: 'admin@demo.bookbazaar.dev', password: 'demo-admin-password', displayName: 'Ada Admin', roles: ['BUYER', 'ADMIN'] },
  { id: '0193a000-0000-7000-8000-000000005e02', email: 'bookshop@demo.bookbazaar.dev', password: 'demo-bookshop-password', displayName: 'Corner Bookshop', roles: ['BUYER', 'SELLER'] },
  { id: '0193a000-0000-7000-8000-000000005e03', email: 'collector@demo.bookbazaar.dev', password: 'demo-collector-password', displayName: 'Rare Finds Rita', roles: ['BUYER', 'SELLER'] },
];

/** Every demo account's id: the demo shoppers and reviewers. */
export const DEMO_USER_IDS: readonly string[] = DEMO_ACCOUNTS.map(({ id }) => id);

/** The demo sellers' ids: the demo catalog's listings belong to them. */
export const DEMO_SELLER_IDS: readonly string[] = DEMO_ACCOUNTS.filter(({ roles }) => roles.includes('SELLER')).map(({ id }) => id);

/** The demo buyer, whom the launcher logs in as to check the demo cart and wishlist are filled. */
export const DEMO_BUYER: DemoAccount = DEMO_ACCOUNTS.find(({ roles }) => roles.length === 1 && roles[0] === 'BUYER')!;
