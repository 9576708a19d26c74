import { describe, expect, it } from 'vitest';
import { CommitWaits } from '../src/commit-waits';

/** Whether `promise` settles within `ms` (the waits below are a minute long unless woken). */
const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe('requests waiting for a commit that moves what they wait for (CommitWaits)', () => {
  it('wakes the waiter of the payment that moved, and only that one', async () => {
    const waits = new CommitWaits();
    const mine = waits.watch('payment-1');
    const other = waits.watch('payment-2');
    const waiting = mine.next(60_000);
    const otherWaiting = other.next(60_000);
    waits.moved('payment-1'); // outside a lean transaction: at once
    expect(await settlesWithin(waiting, 5_000)).toBe(true);
    expect(await settlesWithin(otherWaiting, 50)).toBe(false);
    mine.close();
    other.close();
  });

  it('keeps a move that came while the waiter was looking, so its next wait ends at once', async () => {
    const waits = new CommitWaits();
    const watch = waits.watch('payment-1');
    waits.moved('payment-1'); // between two waits, e.g. while the status look ran
    expect(await settlesWithin(watch.next(60_000), 5_000)).toBe(true);
    // That move is used up: the wait after it lasts until its time or the next move.
    expect(await settlesWithin(watch.next(60_000), 50)).toBe(false);
    watch.close();
  });

  it('ends a wait after its time when nothing moves, and forgets closed watches', async () => {
    const waits = new CommitWaits();
    const watch = waits.watch('payment-1');
    expect(await settlesWithin(watch.next(10), 5_000)).toBe(true);
    watch.close();
    expect(() => waits.moved('payment-1')).not.toThrow();
    expect((waits as unknown as { watches: Map<string, unknown> }).watches.size).toBe(0);
  });

  it('looks until the thing settled (not at all when it was seen settled), and answers the last look when time runs out', async () => {
    const waits = new CommitWaits();
    let status = 'PENDING';
    let looks = 0;
    const look = async () => {
      looks++;
      return status;
    };
    const settled = (value: string) => value !== 'PENDING';
    expect(await waits.until('order-1', { waitMs: 60_000, look, settled, seen: { value: 'DONE' } })).toBe('DONE');
    expect(looks).toBe(0);
    // Not seen: the first look is at once; once the thing moved, the next look ends the wait long before the minute.
    const waiting = waits.until('order-1', { waitMs: 60_000, look, settled });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(looks).toBe(1);
    status = 'DONE';
    waits.moved('order-1');
    expect(await settlesWithin(waiting, 5_000)).toBe(true);
    expect(await waiting).toBe('DONE');
    // Nothing moves: the answer after the wait is what the last look found, and the watch is gone.
    status = 'PENDING';
    expect(await waits.until('order-2', { waitMs: 150, look, settled, seen: { value: 'PENDING' } })).toBe('PENDING');
    expect((waits as unknown as { watches: Map<string, unknown> }).watches.size).toBe(0);
  });
});
