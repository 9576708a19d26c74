import { z } from 'zod';

const RATING = { min: 1, max: 5 } as const;
const TITLE_MAX = 120;
const BODY_MAX = 5000;

const rating = z.number().int().min(RATING.min, 'must be 1 to 5 stars').max(RATING.max, 'must be 1 to 5 stars');
const title = z.string().trim().min(1, 'must not be empty').max(TITLE_MAX, `must be at most ${TITLE_MAX} characters`);
const body = z.string().trim().min(1, 'must not be empty').max(BODY_MAX, `must be at most ${BODY_MAX} characters`);

export const writeReviewInput = z.object({ bookId: z.string().min(1), rating, title, body });

/** Omitted (or null) fields stay as they are. */
export const editReviewInput = z.object({
  id: z.string().min(1),
  rating: rating.nullish(),
  title: title.nullish(),
  body: body.nullish(),
});

const FEEDBACK_TEXT_MAX = 1000;
/** A buyer may change their seller feedback for this long after giving it. */
export const FEEDBACK_EDITABLE_DAYS = 30;

const feedbackText = z.string().trim().min(1, 'must not be empty').max(FEEDBACK_TEXT_MAX, `must be at most ${FEEDBACK_TEXT_MAX} characters`);

export const rateSellerInput = z.object({ itemAsDescribed: rating, shippingSpeed: rating, communication: rating, comment: feedbackText });

/** Omitted (or null) fields stay as they are. */
export const updateSellerFeedbackInput = z.object({
  itemAsDescribed: rating.nullish(),
  shippingSpeed: rating.nullish(),
  communication: rating.nullish(),
  comment: feedbackText.nullish(),
});

export const sellerResponseInput = z.object({ response: feedbackText });

/** Positive feedback: its three criteria average 4 stars or more (sum 12 or more). */
export const isPositive = (stars: { itemAsDescribed: number; shippingSpeed: number; communication: number }) =>
  stars.itemAsDescribed + stars.shippingSpeed + stars.communication >= 12;
