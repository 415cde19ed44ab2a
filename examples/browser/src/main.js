// The browser example: a page that sends one trace and two log records with the
// OpenTelemetry JS SDK through edgetraced's authenticated proxy.
//
//   index.html?proxy=http://127.0.0.1:4320&token=<JWT>
//
// or, without a query string, from the object config.js sets:
//
//   window.edgetraceExample = { proxy: "http://127.0.0.1:4320", token: "<JWT>" };
//
// (the query string wins where both say something). The token is sent as
// `Authorization: Bearer <token>` to <proxy>/api/v1/telemetry/traces and .../logs; the
// proxy checks it, adds the token's subject as enduser.id and forwards to its upstream.
//
// What the page does, in order: a span "checkout" with a child "load-cart", an INFO and an
// ERROR log record emitted inside "load-cart" (so they carry its trace and span ids),
// then forceFlush() of both providers. When every export succeeded, document.title and the
// #status element read "done"; otherwise "failed: <reason>". A driver waits for either.
// Nothing is fetched at run time besides the two OTLP endpoints: the SDK is bundled.
import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { BatchSpanProcessor, WebTracerProvider } from "@opentelemetry/sdk-trace-web";

const TRACES_PATH = "/api/v1/telemetry/traces";
const LOGS_PATH = "/api/v1/telemetry/logs";

// { proxy, token } from the query string, falling back to window.edgetraceExample.
function readConfig() {
  const fromObject = window.edgetraceExample || {};
  const query = new URLSearchParams(window.location.search);
  const proxy = query.get("proxy") || fromObject.proxy || "";
  const token = query.get("token") || fromObject.token || "";
  if (!proxy) throw new Error("no proxy URL (?proxy=... or edgetraceExample.proxy)");
  if (!token) throw new Error("no token (?token=... or edgetraceExample.token)");
  return { proxy: proxy.replace(/\/+$/, ""), token };
}

// Wraps an exporter to count what it exported and remember every failure: forceFlush()
// resolves either way (even when an exporter threw), and the page must not say "done" for
// data that was not sent or that the proxy refused.
function recording(exporter, signal, outcome) {
  return {
    export(items, resultCallback) {
      exporter.export(items, (result) => {
        if (result.code === 0) {
          outcome.exported[signal] += items.length;
        } else {
          const reason = result.error ? result.error.message : "unknown error";
          outcome.failures.push(`${signal}: ${reason}`);
        }
        resultCallback(result);
      });
    },
    forceFlush: () => (exporter.forceFlush ? exporter.forceFlush() : Promise.resolve()),
    shutdown: () => exporter.shutdown(),
  };
}

function report(text) {
  document.title = text;
  const status = document.getElementById("status");
  if (status) status.textContent = text;
}

async function run() {
  const { proxy, token } = readConfig();
  const headers = { Authorization: `Bearer ${token}` };
  const resource = resourceFromAttributes({
    "service.name": "edgetrace-browser-example",
    "service.version": "0.1.0",
  });
  const outcome = { exported: { traces: 0, logs: 0 }, failures: [] };

  const tracerProvider = new WebTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(
        recording(new OTLPTraceExporter({ url: proxy + TRACES_PATH, headers }), "traces", outcome),
      ),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: recording(
          new OTLPLogExporter({ url: proxy + LOGS_PATH, headers }),
          "logs",
          outcome,
        ),
      }),
    ],
  });

  const tracer = tracerProvider.getTracer("edgetrace-browser-example", "0.1.0");
  const logger = loggerProvider.getLogger("edgetrace-browser-example", "0.1.0");

  const checkout = tracer.startSpan("checkout", { attributes: { "cart.items": 3 } });
  const checkoutContext = trace.setSpan(context.active(), checkout);
  const loadCart = tracer.startSpan("load-cart", {}, checkoutContext);
  const loadCartContext = trace.setSpan(checkoutContext, loadCart);
  logger.emit({
    severityNumber: SeverityNumber.INFO,
    severityText: "INFO",
    body: "cart loaded",
    attributes: { "cart.items": 3 },
    context: loadCartContext,
  });
  logger.emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: "ERROR",
    body: "payment declined",
    attributes: { "payment.provider": "example" },
    context: loadCartContext,
  });
  loadCart.end();
  checkout.setStatus({ code: SpanStatusCode.ERROR, message: "payment declined" });
  checkout.end();

  await Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush()]);
  if (outcome.failures.length > 0) throw new Error(outcome.failures.join("; "));
  const { traces, logs } = outcome.exported;
  if (traces !== 2 || logs !== 2) {
    throw new Error(`exported ${traces} spans and ${logs} log records, expected 2 and 2`);
  }
}

run().then(
  () => report("done"),
  (error) => report(`failed: ${error && error.message ? error.message : error}`),
);
