/*
 * The payout run, as a command (the admin mutation runPayouts does the same):
 *   npm run payouts -w @bazaar/payments
 * Makes available what is past its holding period, then pays each seller's available balance out
 * (docs/payouts.md). Running it twice, or beside another run, pays once. With no PAYMENTS_DATABASE_URL
 * it uses the `npm start` database (embedded Postgres started on demand: run it while `npm start` is
 * stopped; while the stack runs, an admin uses the runPayouts mutation).
 * PayoutSent events go to the outbox; the payments service publishes them when it runs.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { z } from 'zod';
import { withServiceDatabase } from '@bazaar/devstack';
import { createOutbox } from '@bazaar/events';
import { amountFromColumn, loadConfig } from '@bazaar/service';
import { earningsConfigShape, earningsSettings } from './config';
import { SellerEarnings } from './domain/earnings';
import { Payouts } from './domain/payouts';
import { PrismaClient } from './generated/prisma/client';

const log = (line: string) => console.log(`[payouts] ${line}`);
const config = loadConfig(z.object(earningsConfigShape), process.env);
const connect = (connectionString: string) => new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
await withServiceDatabase('payments', { env: process.env, log, connect }, async (db) => {
  const earnings = new SellerEarnings(db, earningsSettings(config));
  const report = await new Payouts(db, earnings, createOutbox('payments')).run();
  log(`${report.released} order part(s) past their holding period made available`);
  for (const payout of report.payouts) log(`paid ${amountFromColumn(payout.amount)} ${payout.currency} minor units to seller ${payout.sellerId}: ${payout.reference}`);
  log(report.payouts.length === 0 ? 'nothing to pay' : `${report.payouts.length} payout(s) made`);
});
