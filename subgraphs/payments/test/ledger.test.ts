import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPrismaClient } from '@bazaar/bootstrap';
import { createTestDatabase, type TestDatabase } from '@bazaar/testing';
import { Ledger, MARKETPLACE, type Posting } from '../src/domain/ledger';
import { PrismaClient } from '../src/generated/prisma/client';

let database: TestDatabase;
let db: PrismaClient;
const ledger = new Ledger();

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), 'payments');
  db = createPrismaClient((options) => new PrismaClient(options), database.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

/** A sale of `gross` minor units by `sellerId`, with 10 % commission. */
function sale(sellerId: string, gross: bigint): Posting[] {
  const commission = gross / 10n;
  return [
    { ownerId: sellerId, kind: 'PENDING', currency: 'EUR', amount: gross - commission, sellerId },
    { ownerId: MARKETPLACE, kind: 'COMMISSION', currency: 'EUR', amount: commission, sellerId },
    { ownerId: MARKETPLACE, kind: 'BUYER_FUNDS', currency: 'EUR', amount: -gross, sellerId },
  ];
}

const balances = async () =>
  Object.fromEntries((await db.ledgerAccount.findMany()).map((account) => [`${account.ownerId === MARKETPLACE ? MARKETPLACE : 'seller'} ${account.kind}`, account.balance]));

describe('ledger postings', () => {
  it('writes the transaction and its entries in account order, with running balances', async () => {
    const sellerId = randomUUID();
    const first = await db.$transaction((tx) => ledger.post(tx, { kind: 'SALE', description: 'first', postings: sale(sellerId, 1000n) }));
    const second = await db.$transaction((tx) => ledger.post(tx, { kind: 'SALE', description: 'second', postings: sale(sellerId, 500n) }));
    const entries = await db.ledgerEntry.findMany({ where: { transactionId: { in: [first, second] } }, orderBy: { position: 'asc' } });
    expect(entries).toHaveLength(6);
    for (const id of [first, second]) {
      const accountIds = entries.filter((entry) => entry.transactionId === id).map((entry) => entry.accountId);
      expect(accountIds).toEqual([...accountIds].sort());
    }
    expect(entries.filter((entry) => entry.transactionId === second).map((entry) => entry.balanceAfter).sort()).toEqual([-1500n, 150n, 1350n].sort());
    expect(await balances()).toEqual({ 'seller PENDING': 1350n, 'marketplace COMMISSION': 150n, 'marketplace BUYER_FUNDS': -1500n });
  });

  it('opens an account again after the transaction that first opened it rolled back', async () => {
    const sellerId = randomUUID();
    const before = await balances();
    // Opened, and the same account posted to a second time in that transaction, then rolled back.
    await expect(
      db.$transaction(async (tx) => {
        await ledger.post(tx, { kind: 'SALE', description: 'rolled back', postings: sale(sellerId, 2000n) });
        await ledger.post(tx, { kind: 'SALE', description: 'rolled back too', postings: sale(sellerId, 2000n) });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await db.ledgerAccount.count({ where: { ownerId: sellerId } })).toBe(0);
    // The ids the rolled-back transaction saw are not used again: the next posting opens the account anew.
    await db.$transaction((tx) => ledger.post(tx, { kind: 'SALE', description: 'kept', postings: sale(sellerId, 2000n) }));
    const account = await db.ledgerAccount.findFirstOrThrow({ where: { ownerId: sellerId } });
    expect(account.balance).toBe(1800n);
    expect((await balances())['marketplace COMMISSION']).toBe((before['marketplace COMMISSION'] ?? 0n) + 200n);
  });
});
