# edgetrace::processors: redaction, sampling, rate caps on OTLP data (src/processors).
