/* Compile-time options of the edgetrace device library.
 *
 * Override any of these with -D on the compiler command line (the same value for every
 * translation unit of the firmware, library included). Each option states its trade-off;
 * invalid values are rejected at compile time.
 *
 *   arm-none-eabi-gcc -DET_MIN_LEVEL=ET_LEVEL_INFO -DET_MAX_RECORD=64 ...
 */
#ifndef EDGETRACE_DEVICE_CONFIG_H_
#define EDGETRACE_DEVICE_CONFIG_H_

/* Levels, lowest first. They match edgetrace::core::Level and OpenTelemetry's
 * SeverityNumber 1, 5, 9, 13, 17, 21. */
#define ET_LEVEL_TRACE 0
#define ET_LEVEL_DEBUG 1
#define ET_LEVEL_INFO 2
#define ET_LEVEL_WARN 3
#define ET_LEVEL_ERROR 4
#define ET_LEVEL_FATAL 5

/* Call sites below this level compile to nothing: no code, no table entry, arguments not
 * evaluated. Raising it saves flash and CPU; the dropped levels cannot be enabled at run
 * time. */
#ifndef ET_MIN_LEVEL
#define ET_MIN_LEVEL ET_LEVEL_TRACE
#endif

/* Largest record (call-site id + timestamp + arguments) in bytes. A frame on the wire is
 * at most ET_MAX_RECORD + 4 bytes. Larger allows longer string arguments but costs this
 * many bytes of stack per log call and per drain call. At least 96 (eight 64-bit
 * arguments always fit), at most 124, which keeps every
 * frame's framing overhead at exactly 4 bytes (see docs/wire-format.md). */
#ifndef ET_MAX_RECORD
#define ET_MAX_RECORD 96
#endif

/* Longest string or byte-buffer argument in bytes; longer ones are cut and flagged as
 * truncated on the wire. */
#ifndef ET_MAX_STRING
#define ET_MAX_STRING 32
#endif

/* Maximum number of arguments of one log call (fixed by the 4-bit-per-argument type
 * descriptor; not configurable). */
#define ET_MAX_ARGS 8

#if ET_MIN_LEVEL < ET_LEVEL_TRACE || ET_MIN_LEVEL > ET_LEVEL_FATAL + 1
#error "ET_MIN_LEVEL must be one of ET_LEVEL_TRACE..ET_LEVEL_FATAL (or FATAL+1: all off)"
#endif
#if ET_MAX_RECORD < 96 || ET_MAX_RECORD > 124
#error "ET_MAX_RECORD must be in 96..124"
#endif
#if ET_MAX_STRING < 1 || ET_MAX_STRING > ET_MAX_RECORD - 16
#error "ET_MAX_STRING must be in 1..ET_MAX_RECORD-16"
#endif

#endif /* EDGETRACE_DEVICE_CONFIG_H_ */
