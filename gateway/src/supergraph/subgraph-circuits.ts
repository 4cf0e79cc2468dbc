import { type Logger, ServiceUnavailableError } from '@shop/platform/core';
import CircuitBreaker from 'opossum';
import { subgraphCircuitOpen, subgraphCircuitRejections } from '../metrics/gateway-metrics.js';

/** SUBGRAPH_CIRCUIT_*: by default more than half of at least 20 calls within 10 s opens a circuit for 5 s. */
export interface CircuitSettings {
  /** Calls in the rolling window before the error rate may open the circuit. */
  volume: number;
  /** Error rate (%) of the window above which the circuit opens. */
  errorPercent: number;
  /** The rolling window. */
  windowMs: number;
  /** How long an open circuit refuses calls before one probe is let through (half-open). */
  openMs: number;
}

/** The circuits' rule as configured (SUBGRAPH_CIRCUIT_*). */
export const circuitSettingsFrom = (config: {
  SUBGRAPH_CIRCUIT_MIN_CALLS: number;
  SUBGRAPH_CIRCUIT_ERROR_PERCENT: number;
  SUBGRAPH_CIRCUIT_WINDOW: number;
  SUBGRAPH_CIRCUIT_OPEN: number;
}): CircuitSettings => ({
  volume: config.SUBGRAPH_CIRCUIT_MIN_CALLS,
  errorPercent: config.SUBGRAPH_CIRCUIT_ERROR_PERCENT,
  windowMs: config.SUBGRAPH_CIRCUIT_WINDOW,
  openMs: config.SUBGRAPH_CIRCUIT_OPEN,
});

/**
 * One circuit breaker per subgraph (opossum). When more than half of a subgraph's recent calls
 * failed for the subgraph's own reasons (`isFailure`: no answer, a proxy's 502/503/504, a wait
 * the caller did not shorten running out), the circuit opens: for `openMs` every call to that
 * subgraph is refused at once with SERVICE_UNAVAILABLE, without a request, so a subgraph that is
 * gone or hung costs callers nothing and gets room to recover, while the rest of the graph serves
 * on. Then one call goes through as a probe: its success closes the circuit, its failure opens it
 * again. Errors that are not the subgraph's (GraphQL errors, a refused input, the caller's own
 * deadline) never count against it. Each change of state is logged once; each refused call only
 * at debug level (errorReportingPlugin), counted by gateway_subgraph_circuit_rejections_total,
 * so an outage does not flood the log with one error line per request.
 */
export class SubgraphCircuits {
  private readonly breakers = new Map<string, CircuitBreaker<[() => Promise<unknown>], unknown>>();
  constructor(
    private readonly log: Logger,
    private readonly settings: CircuitSettings,
  ) {}

  /** Runs `call` through `subgraph`'s circuit; `isFailure` says which of its errors are the subgraph's. */
  async run<T>(subgraph: string, call: () => Promise<T>, isFailure: (error: unknown) => boolean): Promise<T> {
    const breaker = this.breakerFor(subgraph);
    try {
      return (await breaker.fire(async () => {
        try {
          return await call();
        } catch (error) {
          throw isFailure(error) ? error : new NotTheSubgraphs(error);
        }
      })) as T;
    } catch (error) {
      if (error instanceof NotTheSubgraphs) throw error.error;
      if ((error as { code?: unknown }).code === 'EOPENBREAKER') {
        throw new ServiceUnavailableError(new CircuitOpenError(subgraph));
      }
      throw error;
    }
  }

  /** Stops every circuit's rolling-window timers. */
  close(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }

  private breakerFor(subgraph: string): CircuitBreaker<[() => Promise<unknown>], unknown> {
    let breaker = this.breakers.get(subgraph);
    if (breaker) return breaker;
    const { volume, errorPercent, windowMs, openMs } = this.settings;
    breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      // Each call has its own deadline (the fetcher's); the breaker adds none.
      timeout: false,
      volumeThreshold: volume,
      errorThresholdPercentage: errorPercent,
      rollingCountTimeout: windowMs,
      rollingCountBuckets: 10,
      resetTimeout: openMs,
      errorFilter: (error: unknown) => error instanceof NotTheSubgraphs,
    });
    breaker.on('open', () => {
      subgraphCircuitOpen.set({ subgraph }, 1);
      this.log.warn({ subgraph, openMs }, 'subgraph circuit opened: its calls are refused until a probe succeeds');
    });
    breaker.on('halfOpen', () =>
      this.log.info({ subgraph }, 'subgraph circuit half-open: one probe call goes through'),
    );
    breaker.on('close', () => {
      subgraphCircuitOpen.set({ subgraph }, 0);
      this.log.info({ subgraph }, 'subgraph circuit closed: calls go through again');
    });
    breaker.on('reject', () => subgraphCircuitRejections.inc({ subgraph }));
    subgraphCircuitOpen.set({ subgraph }, 0);
    // From 0, so that the alert's rate() sees the first refusals too.
    subgraphCircuitRejections.inc({ subgraph }, 0);
    this.breakers.set(subgraph, breaker);
    return breaker;
  }
}

/** The cause of a SERVICE_UNAVAILABLE that an open circuit answered without sending the call. */
export class CircuitOpenError extends Error {
  constructor(subgraph: string) {
    super(`subgraph ${subgraph}: circuit open, the call was not sent`);
    this.name = 'CircuitOpenError';
  }
}

/** An error that does not count against the subgraph: passed on to the caller as it is. */
class NotTheSubgraphs extends Error {
  constructor(readonly error: unknown) {
    super('not a failure of the subgraph');
  }
}
