type Labels = { method: string; route: string; status_code: string };

/** What prom-client's registry reads from a metric's get() (its own types are not exported). */
interface ExportedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}
interface ExportedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: ExportedValue[];
}

/** One (method, route, status) series: its request count, duration sum and bucket counts. */
export class HttpSeries {
  count = 0;
  sum = 0;
  readonly buckets: Float64Array;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.buckets = new Float64Array(bounds.length);
  }

  observe(seconds: number): void {
    this.count += 1;
    this.sum += seconds;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (seconds <= b[i]) {
        this.buckets[i] += 1;
        return;
      }
    }
  }
}

/**
 * http_requests_total and http_request_duration_seconds as plain numbers per series, found per
 * request by three Map look-ups on values Fastify already holds (the route template string,
 * the status number, the method), with nothing allocated once a series exists.
 *
 * prom-client's labels(...).observe() re-validates and re-hashes the label values on every
 * call (its children are not bound), which a profile of GET /streams/:id showed per request.
 * Both metrics are exposed to the registry as prom-client "metric" objects (get() returns what
 * prom-client's own Counter/Histogram return), so /metrics reads exactly as before.
 */
export class HttpRedSeries {
  /** http_requests_in_flight, kept current (the gauge reads it when scraped). */
  inFlight = 0;
  private readonly byRoute = new Map<string, Map<number, Map<string, HttpSeries>>>();
  private readonly all: HttpSeries[] = [];

  constructor(readonly bounds: readonly number[]) {}

  series(method: string, route: string, statusCode: number): HttpSeries {
    let byStatus = this.byRoute.get(route);
    if (!byStatus) this.byRoute.set(route, (byStatus = new Map<number, Map<string, HttpSeries>>()));
    let byMethod = byStatus.get(statusCode);
    if (!byMethod) byStatus.set(statusCode, (byMethod = new Map<string, HttpSeries>()));
    let s = byMethod.get(method);
    if (!s) {
      s = new HttpSeries({ method, route, status_code: String(statusCode) }, this.bounds);
      byMethod.set(method, s);
      this.all.push(s);
    }
    return s;
  }

  /** Every series (for the scrape). */
  list(): readonly HttpSeries[] {
    return this.all;
  }

  reset(): void {
    this.byRoute.clear();
    this.all.length = 0;
  }
}

abstract class SeriesMetric {
  readonly labelNames = ['method', 'route', 'status_code'];
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'counter' | 'histogram';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly red: HttpRedSeries,
  ) {}

  protected abstract values(): ExportedValue[];

  get(): Promise<ExportedMetric> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.values(),
    });
  }

  reset(): void {
    this.red.reset();
  }
}

export class HttpRequestsCounter extends SeriesMetric {
  readonly type = 'counter' as const;

  protected values(): ExportedValue[] {
    return this.red.list().map((s) => ({ labels: { ...s.labels }, value: s.count }));
  }
}

export class HttpDurationHistogram extends SeriesMetric {
  readonly type = 'histogram' as const;

  protected values(): ExportedValue[] {
    const out: ExportedValue[] = [];
    const bounds = this.red.bounds;
    for (const s of this.red.list()) {
      let cumulative = 0;
      for (let i = 0; i < bounds.length; i++) {
        cumulative += s.buckets[i];
        out.push({
          labels: { le: bounds[i], ...s.labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      out.push({
        labels: { le: '+Inf', ...s.labels },
        value: s.count,
        metricName: `${this.name}_bucket`,
      });
      out.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      out.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return out;
  }
}
