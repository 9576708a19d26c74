import { Faker, en } from '@faker-js/faker';
import { DEMO_ACCOUNTS, DEMO_BUYER, DEMO_SELLER_IDS } from '@bazaar/demo';
import { type Outbox } from '@bazaar/events';
import { SellerRatingChanged } from '@bazaar/contracts/reviews';
import type { Prisma, PrismaClient } from '../generated/prisma/client';

const DAY_MS = 86_400_000;

/** How each demo seller is seen: how many feedbacks, and how their stars lean. */
const PROFILES = [
  { feedbacks: 42, weights: [0, 1, 2, 10, 30] }, // a careful seller
  { feedbacks: 65, weights: [0, 0, 1, 6, 40] }, // the corner bookshop everyone likes
  { feedbacks: 18, weights: [2, 3, 4, 5, 6] }, // a collector with mixed reviews
] as const;

const COMMENTS: Record<number, string[]> = {
  1: ['Never arrived in the state described.', 'No answer to my messages.'],
  2: ['Slow to ship, the cover was worn.', 'Took three weeks.'],
  3: ['Fine, nothing special.', 'Arrived late but intact.'],
  4: ['Good copy, shipped quickly.', 'As described, would buy again.'],
  5: ['Perfect copy, beautifully packed!', 'Lightning fast and very friendly.', 'Exactly as described. Thank you!'],
};

const RESPONSES = ['Thank you for your kind words!', 'Sorry for the delay; we have changed carriers since.', 'Glad you enjoyed it.'];

interface SellerTotals {
  seller_id: string;
  count: number;
  stars: number;
}

/**
 * Demo seller feedback for development, into an empty seller_feedback table only: each demo seller
 * gets a history of delivered sales rated by the other demo accounts over the last 18 months (so
 * the 12-month figures differ from the lifetime ones), some answered; the aggregates are computed
 * from them once and announced (SellerRatingChanged) so the catalog can sort offers by them. The
 * demo buyer also has one delivered, not yet rated order from each seller, to try rateSeller.
 */
export async function seedDemoSellerFeedback(db: PrismaClient, outbox: Outbox, options: { seed?: number; now?: Date } = {}): Promise<{ feedbacks: number }> {
  if ((await db.sellerFeedback.count()) > 0) return { feedbacks: 0 };
  const faker = new Faker({ locale: [en] });
  faker.seed(options.seed ?? 20261201);
  const now = (options.now ?? new Date()).getTime();

  const sales: Prisma.DeliveredSaleCreateManyInput[] = [];
  const feedback: Prisma.SellerFeedbackCreateManyInput[] = [];
  DEMO_SELLER_IDS.forEach((sellerId, index) => {
    const profile = PROFILES[index % PROFILES.length]!;
    const buyers = DEMO_ACCOUNTS.map(({ id }) => id).filter((id) => id !== sellerId);
    const star = () => faker.helpers.weightedArrayElement(profile.weights.map((weight, at) => ({ weight, value: at + 1 })).filter(({ weight }) => weight > 0));
    for (let count = 0; count < profile.feedbacks; count++) {
      const orderId = faker.string.uuid();
      const buyerId = faker.helpers.arrayElement(buyers);
      const createdAt = new Date(now - faker.number.int({ min: 1, max: 540 }) * DAY_MS);
      const stars = { itemAsDescribed: star(), shippingSpeed: star(), communication: star() };
      const overall = Math.round((stars.itemAsDescribed + stars.shippingSpeed + stars.communication) / 3);
      const answered = faker.datatype.boolean(0.3);
      sales.push({ orderId, sellerId, buyerId, deliveredAt: new Date(createdAt.getTime() - DAY_MS) });
      feedback.push({
        orderId,
        sellerId,
        buyerId,
        ...stars,
        comment: faker.helpers.arrayElement(COMMENTS[overall]!),
        createdAt,
        updatedAt: createdAt,
        response: answered ? faker.helpers.arrayElement(RESPONSES) : null,
        respondedAt: answered ? new Date(createdAt.getTime() + DAY_MS) : null,
      });
    }
    sales.push({ orderId: faker.string.uuid(), sellerId, buyerId: DEMO_BUYER.id, deliveredAt: new Date(now - 2 * DAY_MS) });
  });

  await db.$transaction(
    async (tx) => {
      await tx.deliveredSale.createMany({ data: sales });
      await tx.sellerFeedback.createMany({ data: feedback });
      const totals = await tx.$queryRaw<SellerTotals[]>`
        INSERT INTO seller_ratings (seller_id, count, item_as_described_sum, shipping_speed_sum, communication_sum, revision)
        SELECT seller_id, count(*), sum(item_as_described), sum(shipping_speed), sum(communication), 1 FROM seller_feedback GROUP BY seller_id
        RETURNING seller_id, count, item_as_described_sum + shipping_speed_sum + communication_sum AS stars`;
      await tx.$executeRaw`
        INSERT INTO seller_rating_months (seller_id, month, count, positive)
        SELECT seller_id, date_trunc('month', created_at AT TIME ZONE 'UTC')::date, count(*),
               count(*) FILTER (WHERE item_as_described + shipping_speed + communication >= 12)
          FROM seller_feedback GROUP BY 1, 2`;
      for (const { seller_id: sellerId, count, stars } of totals) {
        await outbox.add(tx, {
          definition: SellerRatingChanged,
          key: sellerId,
          data: { sellerId, average: stars / (3 * count), count, revision: 1, changedAt: new Date(now).toISOString() },
        });
      }
    },
    { timeout: 60_000, maxWait: 15_000 },
  );
  return { feedbacks: feedback.length };
}
