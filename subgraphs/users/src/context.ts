import type DataLoader from 'dataloader';
import type { RequestContext } from '@bazaar/service';
import type { Accounts } from './domain/accounts';
import type { User } from './generated/prisma/client';

export interface UsersContext extends RequestContext {
  accounts: Accounts;
  /** Batches every user looked up while resolving one request into one query. */
  usersById: DataLoader<string, User | null>;
}
