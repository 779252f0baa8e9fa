// Bounded concurrency for the grader's own work (exercises of one grading, read-only checks,
// students of a class): no more than `limit` at once, results in the items' order.

/**
 * `work` on each item, at most `limit` at a time; results in the items' order. After a failure
 * no new item starts, the ones under way finish, and then the first failure is thrown: nothing
 * keeps running behind the caller's back.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const position = next++;
      try {
        results[position] = await work(items[position] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
