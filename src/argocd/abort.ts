// Giving up when the caller cancels (an activity's cancellation signal): the error to throw, and a sleep that ends
// at once on abort, so no wait of the client, the feed or a watch outlives its activity.

/** The abort's own reason when it is an Error (Temporal's cancellation), else a plain `cancelled`. */
export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('cancelled');
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
