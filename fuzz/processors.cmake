# edgetrace::processors: arbitrary strings and attributes through redaction (RE2 patterns,
# allow-list, stack-path trimming), and arbitrary text as an extra pattern.
et_fuzz_target(processors_redaction_fuzz edgetrace::processors)
