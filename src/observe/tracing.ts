/**
 * Traces through Deno's built-in OpenTelemetry: with `OTEL_DENO=true` Deno exports spans over
 * OTLP (`OTEL_EXPORTER_OTLP_ENDPOINT`, …) and makes an HTTP server span for every request it
 * serves, with the caller's `traceparent` as parent; the server adds a span per CSP transaction
 * (named by primitive), per KV write (the commit it waited for) and per SSP round trip, and
 * carries the trace context to peer servers in the SSP POST's `traceparent` header.
 *
 * Without OTEL_DENO nothing here does any work: `traced` calls its function directly.
 */
import {
  type Attributes,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { PRODUCT, VERSION } from "../version.ts";

function telemetryOn(): boolean {
  try {
    return Deno.env.get("OTEL_DENO") === "true";
  } catch {
    return false; // no permission to read the environment: no telemetry either
  }
}

/** Whether spans are made (OTEL_DENO=true when the process started). */
export const tracing = telemetryOn();

const tracer = trace.getTracer(PRODUCT, VERSION);

export { SpanKind };
export type { Span };

/**
 * Runs `fn` in a new span, a child of the active one (or of the trace context `parent` carries,
 * a `traceparent` header's value); a throw marks the span as an error.
 */
export function traced<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined) => Promise<T>,
  options: { kind?: SpanKind; parent?: string } = {},
): Promise<T> {
  if (!tracing) return fn(undefined);
  const parent = options.parent
    ? propagation.extract(context.active(), { traceparent: options.parent })
    : context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The `traceparent` header value of the active span, to send to a peer (undefined when off). */
export function traceparent(): string | undefined {
  if (!tracing) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}
