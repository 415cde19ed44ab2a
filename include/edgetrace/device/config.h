/* Compile-time options of the edgetrace device library.
 *
 * Override any of these with -D on the compiler command line (the same value for every
 * translation unit of the firmware, library included). Each option states its trade-off;
 * invalid values are rejected at compile time.
 *
 *   arm-none-eabi-gcc -DETD_MIN_LEVEL=ETD_LEVEL_INFO -DETD_MAX_RECORD=112 ...
 */
#ifndef EDGETRACE_DEVICE_CONFIG_H_
#define EDGETRACE_DEVICE_CONFIG_H_

/* Levels, lowest first. They match edgetrace::core::Level and OpenTelemetry's
 * SeverityNumber 1, 5, 9, 13, 17, 21. */
#define ETD_LEVEL_TRACE 0
#define ETD_LEVEL_DEBUG 1
#define ETD_LEVEL_INFO 2
#define ETD_LEVEL_WARN 3
#define ETD_LEVEL_ERROR 4
#define ETD_LEVEL_FATAL 5

/* Call sites below this level compile to nothing: no code, no table entry, arguments not
 * evaluated. Raising it saves flash and CPU; the dropped levels cannot be enabled at run
 * time. */
#ifndef ETD_MIN_LEVEL
#define ETD_MIN_LEVEL ETD_LEVEL_TRACE
#endif

/* Largest record (call-site id + timestamp + arguments) in bytes. A frame on the wire is
 * at most ETD_MAX_RECORD + 4 bytes. Larger allows longer string arguments but costs this
 * many bytes of stack per log call and per drain call. At least 96 (eight 64-bit
 * arguments always fit), at most 124, which keeps every
 * frame's framing overhead at exactly 4 bytes (see docs/wire-format.md). */
#ifndef ETD_MAX_RECORD
#define ETD_MAX_RECORD 96
#endif

/* Longest string or byte-buffer argument in bytes; longer ones are cut and flagged as
 * truncated on the wire. */
#ifndef ETD_MAX_STRING
#define ETD_MAX_STRING 32
#endif

/* Maximum number of arguments of one log call (fixed by the 4-bit-per-argument type
 * descriptor; not configurable). */
#define ETD_MAX_ARGS 8

#if ETD_MIN_LEVEL < ETD_LEVEL_TRACE || ETD_MIN_LEVEL > ETD_LEVEL_FATAL + 1
#error "ETD_MIN_LEVEL must be one of ETD_LEVEL_TRACE..ETD_LEVEL_FATAL (or FATAL+1: all off)"
#endif
#if ETD_MAX_RECORD < 96 || ETD_MAX_RECORD > 124
#error "ETD_MAX_RECORD must be in 96..124"
#endif
#if ETD_MAX_STRING < 1 || ETD_MAX_STRING > ETD_MAX_RECORD - 16
#error "ETD_MAX_STRING must be in 1..ETD_MAX_RECORD-16"
#endif

#endif /* EDGETRACE_DEVICE_CONFIG_H_ */
