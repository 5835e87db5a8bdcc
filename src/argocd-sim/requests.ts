/** Counts API requests per `METHOD /path` so tests can spot retry storms. */
export class RequestLog {
  private counts = new Map<string, number>();
  private total = 0;
  private since = Date.now();

  record(method: string, path: string): void {
    const key = `${method} ${path}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.total += 1;
  }

  snapshot() {
    return {
      since: new Date(this.since).toISOString(),
      total: this.total,
      counts: Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  reset(): void {
    this.counts.clear();
    this.total = 0;
    this.since = Date.now();
  }
}
