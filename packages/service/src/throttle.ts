import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyRequests } from './errors';
import { surviveConnectionLoss } from './pg-connections';

/**
 * Throttling kept in the service's own Postgres (table `rate_limits`, created by its migrations),
 * so every replica of the service counts the same attempts. Built on rate-limiter-flexible.
 * The values each service uses, and why: docs/security.md.
 */
export const RATE_LIMIT_TABLE = 'rate_limits';

export interface RateRule {
  /** Names the counter, e.g. `signup_address`. */
  name: string;
  /** Attempts allowed per window. */
  points: number;
  windowSeconds: number;
}

export interface FailureRule {
  name: string;
  /** Failures answered normally before delays start. */
  freeFailures: number;
  /** The first delay; each further failure doubles it. */
  delayBaseSeconds: number;
  maxDelaySeconds: number;
  /** Failures within the window after which the key is locked out. */
  lockoutAfter: number;
  lockoutSeconds: number;
  windowSeconds: number;
}

const retryAfter = (result: RateLimiterRes) => result.msBeforeNext / 1000;

export class Throttle {
  constructor(
    private readonly pool: pg.Pool,
    /** Told each time a rule refuses a request (the throttling metric). */
    private readonly onRefused: (rule: string) => void = () => {},
  ) {
    surviveConnectionLoss(pool);
  }

  private limiter(keyPrefix: string, points: number, durationSeconds: number, blockSeconds = 0) {
    return new RateLimiterPostgres({
      storeClient: this.pool,
      storeType: 'pool',
      tableName: RATE_LIMIT_TABLE,
      tableCreated: true,
      // Expired rows are swept by rate-limiter-flexible itself.
      clearExpiredByTimeout: true,
      keyPrefix,
      points,
      duration: durationSeconds,
      blockDuration: blockSeconds,
    });
  }

  /** A fixed window: each call spends one attempt; past `points`, TOO_MANY_REQUESTS until the window ends. */
  rate(rule: RateRule) {
    const limiter = this.limiter(rule.name, rule.points, rule.windowSeconds);
    return {
      consume: async (key: string): Promise<void> => {
        try {
          await limiter.consume(key);
        } catch (error) {
          if (error instanceof RateLimiterRes) {
            this.onRefused(rule.name);
            throw tooManyRequests('Too many requests; try again later.', retryAfter(error));
          }
          throw error;
        }
      },
    };
  }

  /**
   * Growing delays, then a lock-out: after `freeFailures` failures each further one makes the key
   * wait `delayBaseSeconds · 2^n` (capped) before the next attempt; `lockoutAfter` failures within
   * the window lock it for `lockoutSeconds`. A success clears both.
   */
  failures(rule: FailureRule) {
    // The failure that makes `lockoutAfter` is the one over the limiter's points: it starts the block.
    const failures = this.limiter(`${rule.name}_failures`, rule.lockoutAfter - 1, rule.windowSeconds, rule.lockoutSeconds);
    const pause = this.limiter(`${rule.name}_pause`, 1, 1);
    return {
      /** Throws TOO_MANY_REQUESTS (with the seconds to wait) while the key is paused or locked out. */
      check: async (key: string): Promise<void> => {
        const [locked, paused] = await Promise.all([failures.get(key), pause.get(key)]);
        if (locked && locked.consumedPoints >= rule.lockoutAfter) {
          this.onRefused(rule.name);
          throw tooManyRequests('Too many failed attempts; this is locked for a while.', retryAfter(locked));
        }
        if (paused && paused.consumedPoints > 1) {
          this.onRefused(rule.name);
          throw tooManyRequests('Too many failed attempts; wait before trying again.', retryAfter(paused));
        }
      },
      fail: async (key: string): Promise<void> => {
        let count: number;
        try {
          count = (await failures.consume(key)).consumedPoints;
        } catch (error) {
          if (error instanceof RateLimiterRes) return; // now locked out; `check` says so next time
          throw error;
        }
        if (count > rule.freeFailures) {
          const delay = Math.min(rule.delayBaseSeconds * 2 ** (count - rule.freeFailures - 1), rule.maxDelaySeconds);
          await pause.block(key, delay);
        }
      },
      succeed: async (key: string): Promise<void> => {
        await Promise.all([failures.delete(key), pause.delete(key)]);
      },
    };
  }
}
