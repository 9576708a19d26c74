import {
  conflict,
  connectionOf,
  cursorValue,
  decodeCursor,
  encodeCursor,
  forbidden,
  isUniqueViolation,
  isUuid,
  notFound,
  pageArgs,
  parseInput,
  type Connection,
  type Viewer,
} from '@bazaar/service';
import { type Outbox } from '@bazaar/events';
import { SellerRatingChanged } from '@bazaar/contracts/reviews';
import { Prisma, type PrismaClient, type SellerFeedback } from '../generated/prisma/client';
import { FEEDBACK_EDITABLE_DAYS, isPositive, rateSellerInput, sellerResponseInput, updateSellerFeedbackInput } from './rules';

type Tx = Prisma.TransactionClient;
type Stars = Pick<SellerFeedback, 'itemAsDescribed' | 'shippingSpeed' | 'communication'>;

/** Concurrent feedback on one seller queues on the seller's aggregate row; give it room to wait. */
const TX_OPTIONS = { maxWait: 15_000, timeout: 15_000 } as const;
const NO_FEEDBACK = 'No seller feedback with this id.';
const NOT_DELIVERED = 'You can rate a seller only for an order of yours that this seller delivered.';
const FEEDBACK_LIST = 'seller-feedback';
const DAY_MS = 86_400_000;

export const editableUntil = (feedback: Pick<SellerFeedback, 'createdAt'>) => new Date(feedback.createdAt.getTime() + FEEDBACK_EDITABLE_DAYS * DAY_MS);

/** One seller's aggregates as kept: lifetime sums, and the last 12 calendar months' counts. */
export interface SellerRatingSummary {
  count: number;
  itemAsDescribedSum: number;
  shippingSpeedSum: number;
  communicationSum: number;
  countLast12Months: number;
  positiveLast12Months: number;
}

export const NO_SELLER_RATINGS: SellerRatingSummary = {
  count: 0,
  itemAsDescribedSum: 0,
  shippingSpeedSum: 0,
  communicationSum: 0,
  countLast12Months: 0,
  positiveLast12Months: 0,
};

/** The overall rating: the mean of every feedback's three criteria; null before the first. */
export const overallAverage = (summary: SellerRatingSummary) =>
  summary.count === 0 ? null : (summary.itemAsDescribedSum + summary.shippingSpeedSum + summary.communicationSum) / (3 * summary.count);

export interface SellerFeedbackPageRequest {
  first: number;
  after?: string | null;
}

interface RatingTotals {
  count: number;
  item_as_described_sum: number;
  shipping_speed_sum: number;
  communication_sum: number;
  revision: bigint;
}

/** The month bucket of a feedback: the calendar month (UTC) it was given in. */
const monthOf = (createdAt: Date) => Prisma.sql`date_trunc('month', ${createdAt.toISOString()}::timestamptz AT TIME ZONE 'UTC')::date`;

/**
 * A new feedback's stars join the seller's lifetime aggregates and its month's bucket, each in one
 * atomic statement: concurrent feedback queues on the seller's row lock and each adds to the
 * committed result, so the aggregates stay exact (the approach of book_ratings, docs/reviews.md).
 */
async function addFeedback(tx: Tx, feedback: SellerFeedback): Promise<RatingTotals> {
  const [totals] = await tx.$queryRaw<RatingTotals[]>`
    INSERT INTO seller_ratings AS r (seller_id, count, item_as_described_sum, shipping_speed_sum, communication_sum, revision)
    VALUES (${feedback.sellerId}::uuid, 1, ${feedback.itemAsDescribed}, ${feedback.shippingSpeed}, ${feedback.communication}, 1)
    ON CONFLICT (seller_id) DO UPDATE SET
      count = r.count + 1,
      item_as_described_sum = r.item_as_described_sum + EXCLUDED.item_as_described_sum,
      shipping_speed_sum = r.shipping_speed_sum + EXCLUDED.shipping_speed_sum,
      communication_sum = r.communication_sum + EXCLUDED.communication_sum,
      revision = r.revision + 1
    RETURNING count, item_as_described_sum, shipping_speed_sum, communication_sum, revision`;
  await tx.$executeRaw`
    INSERT INTO seller_rating_months AS m (seller_id, month, count, positive)
    VALUES (${feedback.sellerId}::uuid, ${monthOf(feedback.createdAt)}, 1, ${isPositive(feedback) ? 1 : 0})
    ON CONFLICT (seller_id, month) DO UPDATE SET count = m.count + 1, positive = m.positive + EXCLUDED.positive`;
  return totals!;
}

/**
 * An edit moves the seller's sums by the difference of the stars (a plain UPDATE: the row exists,
 * and an INSERT's proposed row would be checked against the sums' CHECK before ON CONFLICT applies).
 */
async function replaceStars(tx: Tx, before: SellerFeedback, after: SellerFeedback): Promise<RatingTotals> {
  const [totals] = await tx.$queryRaw<RatingTotals[]>`
    UPDATE seller_ratings SET
      item_as_described_sum = item_as_described_sum + ${after.itemAsDescribed - before.itemAsDescribed},
      shipping_speed_sum = shipping_speed_sum + ${after.shippingSpeed - before.shippingSpeed},
      communication_sum = communication_sum + ${after.communication - before.communication},
      revision = revision + 1
    WHERE seller_id = ${before.sellerId}::uuid
    RETURNING count, item_as_described_sum, shipping_speed_sum, communication_sum, revision`;
  const positiveChange = Number(isPositive(after)) - Number(isPositive(before));
  if (positiveChange !== 0) {
    await tx.$executeRaw`
      UPDATE seller_rating_months SET positive = positive + ${positiveChange}
       WHERE seller_id = ${before.sellerId}::uuid AND month = ${monthOf(before.createdAt)}`;
  }
  return totals!;
}

const sameStars = (a: Stars, b: Stars) => a.itemAsDescribed === b.itemAsDescribed && a.shippingSpeed === b.shippingSpeed && a.communication === b.communication;

/** Buyers' feedback on sellers: giving, editing and answering it, and the sellers' reputation. */
export class SellerFeedbacks {
  constructor(
    private readonly db: PrismaClient,
    private readonly outbox: Outbox,
  ) {}

  /** The signed-in buyer rates a seller for one of their orders that the seller delivered; once. */
  async rate(viewer: Viewer, orderId: string, sellerId: string, rawInput: unknown): Promise<SellerFeedback> {
    const input = parseInput(rateSellerInput, rawInput);
    if (!isUuid(orderId) || !isUuid(sellerId)) throw forbidden(NOT_DELIVERED);
    if (sellerId === viewer.id) throw forbidden('You cannot rate yourself.');
    try {
      return await this.db.$transaction(async (tx) => {
        const sale = await tx.deliveredSale.findUnique({ where: { orderId_sellerId: { orderId, sellerId } } });
        if (!sale || sale.buyerId !== viewer.id) throw forbidden(NOT_DELIVERED);
        const feedback = await tx.sellerFeedback.create({ data: { orderId, sellerId, buyerId: viewer.id, ...input } });
        await this.announce(tx, sellerId, await addFeedback(tx, feedback));
        return feedback;
      }, TX_OPTIONS);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('You have already rated this seller for this order; edit your feedback instead.', { orderId, sellerId });
      throw error;
    }
  }

  /** Its buyer changes a feedback within FEEDBACK_EDITABLE_DAYS; an edit that changes nothing writes nothing. */
  async update(viewer: Viewer, id: string, rawInput: unknown): Promise<SellerFeedback> {
    const input = parseInput(updateSellerFeedbackInput, rawInput);
    if (!isUuid(id)) throw notFound(NO_FEEDBACK, { id });
    return this.db.$transaction(async (tx) => {
      const feedback = await this.lock(tx, id);
      if (feedback.buyerId !== viewer.id) throw forbidden('Only the buyer who gave a feedback can edit it.');
      if (Date.now() > editableUntil(feedback).getTime()) {
        throw forbidden(`A feedback can be edited for ${FEEDBACK_EDITABLE_DAYS} days after it was given; this one no longer can.`);
      }
      const changes: Partial<Stars & Pick<SellerFeedback, 'comment'>> = {};
      for (const field of ['itemAsDescribed', 'shippingSpeed', 'communication', 'comment'] as const) {
        const value = input[field];
        if (value !== null && value !== undefined && value !== feedback[field]) Object.assign(changes, { [field]: value });
      }
      if (Object.keys(changes).length === 0) return feedback;
      const updated = await tx.sellerFeedback.update({ where: { id }, data: changes });
      if (!sameStars(feedback, updated)) await this.announce(tx, feedback.sellerId, await replaceStars(tx, feedback, updated));
      return updated;
    }, TX_OPTIONS);
  }

  /** The rated seller answers a feedback publicly, once. */
  async respond(viewer: Viewer, id: string, rawResponse: unknown): Promise<SellerFeedback> {
    const { response } = parseInput(sellerResponseInput, { response: rawResponse });
    if (!isUuid(id)) throw notFound(NO_FEEDBACK, { id });
    return this.db.$transaction(async (tx) => {
      const feedback = await this.lock(tx, id);
      if (feedback.sellerId !== viewer.id) throw forbidden('Only the rated seller can answer a feedback.');
      if (feedback.response !== null) throw conflict('This feedback already has your answer; a seller answers once.', { id });
      return tx.sellerFeedback.update({ where: { id }, data: { response, respondedAt: new Date() } });
    }, TX_OPTIONS);
  }

  private async lock(tx: Tx, id: string): Promise<SellerFeedback> {
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM seller_feedback WHERE id = ${id}::uuid FOR UPDATE`;
    if (!locked) throw notFound(NO_FEEDBACK, { id });
    return tx.sellerFeedback.findUniqueOrThrow({ where: { id } });
  }

  /** Books sorts offers by seller rating from its projection of these (in this transaction, so exact). */
  private async announce(tx: Tx, sellerId: string, totals: RatingTotals): Promise<void> {
    const stars = totals.item_as_described_sum + totals.shipping_speed_sum + totals.communication_sum;
    await this.outbox.add(tx, {
      definition: SellerRatingChanged,
      key: sellerId,
      data: { sellerId, average: stars / (3 * totals.count), count: totals.count, revision: Number(totals.revision), changedAt: new Date().toISOString() },
    });
  }

  // --- Reads, each one statement for a whole batch of keys ---

  findMany(ids: readonly string[]): Promise<SellerFeedback[]> {
    return this.db.sellerFeedback.findMany({ where: { id: { in: ids.filter(isUuid) } } });
  }

  /** The aggregates of many sellers, lifetime and last 12 months, in one statement. */
  async ratingsOf(sellerIds: readonly string[]): Promise<Map<string, SellerRatingSummary>> {
    const ids = [...new Set(sellerIds.filter(isUuid))];
    if (ids.length === 0) return new Map();
    const rows = await this.db.$queryRaw<(SellerRatingSummary & { sellerId: string })[]>`
      SELECT r.seller_id AS "sellerId", r.count, r.item_as_described_sum AS "itemAsDescribedSum",
             r.shipping_speed_sum AS "shippingSpeedSum", r.communication_sum AS "communicationSum",
             coalesce(m.count, 0)::int AS "countLast12Months", coalesce(m.positive, 0)::int AS "positiveLast12Months"
        FROM seller_ratings r
        LEFT JOIN (
          SELECT seller_id, sum(count) AS count, sum(positive) AS positive FROM seller_rating_months
           WHERE seller_id = ANY(${ids}::uuid[]) AND month >= (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '11 months')::date
           GROUP BY seller_id
        ) m USING (seller_id)
       WHERE r.seller_id = ANY(${ids}::uuid[])`;
    return new Map(rows.map(({ sellerId, ...summary }) => [sellerId, summary]));
  }

  /** The same page of many sellers' feedback, newest first, in one windowed statement. */
  async pages(sellerIds: readonly string[], request: SellerFeedbackPageRequest): Promise<Map<string, Connection<SellerFeedback>>> {
    const page = pageArgs(request);
    const position = decodeFeedbackCursor(page.after);
    const ids = [...new Set(sellerIds.filter(isUuid))];
    const pages = new Map<string, Connection<SellerFeedback>>();
    if (ids.length === 0) return pages;
    const afterPosition = position ? Prisma.sql`(f.created_at, f.id) < (${position[0]}::timestamptz, ${position[1]}::uuid)` : Prisma.sql`TRUE`;
    const rows = await this.db.$queryRaw<(SellerFeedback & { rn: bigint })[]>`
      SELECT * FROM (
        SELECT f.id, f.order_id AS "orderId", f.seller_id AS "sellerId", f.buyer_id AS "buyerId",
               f.item_as_described AS "itemAsDescribed", f.shipping_speed AS "shippingSpeed", f.communication, f.comment,
               f.created_at AS "createdAt", f.updated_at AS "updatedAt", f.response, f.responded_at AS "respondedAt",
               ROW_NUMBER() OVER (PARTITION BY f.seller_id ORDER BY f.created_at DESC, f.id DESC) AS rn
          FROM seller_feedback f
         WHERE f.seller_id = ANY(${ids}::uuid[]) AND ${afterPosition}
      ) f
      WHERE f.rn <= ${page.first + 1}
      ORDER BY f."sellerId", f.rn`;
    const grouped = new Map<string, SellerFeedback[]>();
    for (const { rn: _rowNumber, ...feedback } of rows) grouped.set(feedback.sellerId, [...(grouped.get(feedback.sellerId) ?? []), feedback]);
    for (const id of ids) {
      pages.set(id, connectionOf(grouped.get(id) ?? [], page, (row) => encodeCursor(FEEDBACK_LIST, [row.createdAt.toISOString(), row.id])));
    }
    return pages;
  }
}

/** The position in a feedback list's cursor (BAD_USER_INPUT when it is not one). */
export const decodeFeedbackCursor = (after: string | null | undefined) => decodeCursor(after, FEEDBACK_LIST, [cursorValue.timestamp, cursorValue.uuid]);
