#!/usr/bin/env python3
"""Writes the tracing-defmt test corpus: the assembler source of a firmware-like ELF whose
`.defmt` section holds the format strings that Rust firmware instrumented with the
tracing-defmt crate interns, and the rzCOBS byte streams such a firmware sends in a few
scenarios (nested spans, interleaved tasks, a missing enter or exit, many events).

The format strings are the ones tracing-defmt's macros build (bryanmehall/tracing-defmt):
- `#[instrument]` (macros/src/lib.rs): "ctx={=[u8;16]}:{=[u8;8]} parent={=[u8;8]}
  span_enter: NAME" with "(arg={}, ...)" for the function's arguments, and
  "... span_exit: NAME" when the function returns;
- `Span::enter` and its guard's drop (src/lib.rs): the same with the name as a `{=str}`
  argument ("span_enter: {=str}", "span_exit: {=str}");
- the log macros inside a span (macros/src/lib.rs, impl_log_macro):
  "ctx={=[u8;16]}:{=[u8;8]} MESSAGE" with ", key={}" appended per field (no ", " when the
  message is empty);
- ids (src/context.rs): a root's trace id is 8 zero bytes then a big-endian counter, span
  ids are a big-endian counter, a root's parent is all zero.

The frames follow defmt's encoder (knurling-rs/defmt, defmt/src/export/mod.rs): u16 LE
string index, the timestamp's arguments, then the arguments in index order; `[u8;N]`
arrays are their N bytes with no length (`u8_array`); `{}` is a nested format: the u16
index of the value's format (`{=u8}`, `{=str}`...) then the value (`fmt`); str is a u32
length then the bytes. The symbol names and helpers come from gen_defmt_corpus.py.

Usage: gen_tracing_defmt.py OUT_DIR
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_defmt_corpus import (asm_quote, boolean, i32, json_name, rzcobs_encode,  # noqa: E402
                              string, u8, u16, u64)

# ---------------------------------------------------------------------------------------
# The interned strings.

P_U8, P_U16, P_STR, P_BOOL, P_I32 = 1, 2, 3, 4, 5

PRIMS = [
    (P_U8, "defmt_prim", "{=u8}"),
    (P_U16, "defmt_prim", "{=u16}"),
    (P_STR, "defmt_prim", "{=str}"),
    (P_BOOL, "defmt_prim", "{=bool}"),
    (P_I32, "defmt_prim", "{=i32}"),
]

CTX = "ctx={=[u8;16]}:{=[u8;8]}"
SPAN = CTX + " parent={=[u8;8]}"

# (name, tag, format); indices from FIRST_LOG_INDEX in this order. The test names the
# same indices (tracing_defmt_test.cpp, kIndex...).
LOGS = [
    ("ENTER_HANDLE", "defmt_info", SPAN + " span_enter: handle_request(id={}, path={})"),
    ("EXIT_HANDLE", "defmt_info", SPAN + " span_exit: handle_request"),
    ("ENTER_READ", "defmt_debug", SPAN + " span_enter: read_sensor(channel={})"),
    ("EXIT_READ", "defmt_debug", SPAN + " span_exit: read_sensor"),
    ("ENTER_NAMED", "defmt_info", SPAN + " span_enter: {=str}"),
    ("EXIT_NAMED", "defmt_info", SPAN + " span_exit: {=str}"),
    ("ENTER_IDLE", "defmt_trace", SPAN + " span_enter: idle"),
    ("EXIT_IDLE", "defmt_trace", SPAN + " span_exit: idle"),
    ("EV_PLAIN", "defmt_debug", CTX + " reading sensor"),
    ("EV_FIELDS", "defmt_info", CTX + " sample taken, value={}, ok={}"),
    ("EV_FMT", "defmt_warn", CTX + " retry {=u8} of {=u8}, delay_ms={}"),
    ("EV_ONLY_FIELDS", "defmt_error", CTX + " code={}"),
    # Not markers: a plain log, and one that looks like a marker but has other types.
    ("LOG_PLAIN", "defmt_info", "booted {=str}"),
    ("LOG_LOOKALIKE", "defmt_info", "ctx={=u8}:{=u8} parent={=u8} span_enter: fake"),
]
FIRST_LOG_INDEX = 20
IDX = {name: FIRST_LOG_INDEX + n for n, (name, _, _) in enumerate(LOGS)}

TIMESTAMP = "{=u64:us}"


def assembly():
    """The .defmt section: each symbol at offset == its index, then the timestamp, the
    encoding and the version symbols, as defmt's linker script lays them out."""
    entries = PRIMS + [(IDX[name], tag, fmt) for name, tag, fmt in LOGS]
    lines = ['\t.section .defmt,"",@progbits']
    pos = 0
    names = [(index, json_name(tag, data, 3000 + index)) for index, tag, data in sorted(entries)]
    offset = max(i for i, _ in names) + 1
    names.append((offset, json_name("defmt_timestamp", TIMESTAMP, 3999)))
    names.append((offset + 1, "_defmt_encoding_ = rzcobs"))
    names.append((offset + 2, "_defmt_version_ = 4"))
    for index, name in names:
        if index > pos:
            lines.append("\t.skip %d" % (index - pos))
        quoted = asm_quote(name)
        lines += ["\t.globl %s" % quoted, "%s:" % quoted, "\t.byte 0",
                  "\t.size %s, 1" % quoted]
        pos = index + 1
    lines += ["\t.text", "\t.globl _start", "_start:", "\tnop", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Ids and arguments.

def trace(n):
    return bytes(8) + n.to_bytes(8, "big")


def span(n):
    return n.to_bytes(8, "big")


NO_PARENT = bytes(8)


def fmt_u8(v): return u16(P_U8) + u8(v)
def fmt_u16(v): return u16(P_U16) + u16(v)
def fmt_str(s): return u16(P_STR) + string(s)
def fmt_bool(v): return u16(P_BOOL) + boolean(v)
def fmt_i32(v): return u16(P_I32) + i32(v)


def frame(name, args, micros):
    return u16(IDX[name]) + u64(micros) + args


def enter(name, t, s, parent, extra=b""):
    return (name, t + s + parent + extra)


exit_ = enter  # an exit carries the same context as its enter


def event(name, t, s, extra=b""):
    return (name, t + s + extra)


# A trace id that is not a counter, as another tracing-defmt version or a remote context
# could produce.
TRACE_A = bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736")

SCENARIOS = {
    # One request: a root span, a child with events, an event in the root after the child.
    "nested": [
        ("LOG_PLAIN", string("v1.2")),
        enter("ENTER_HANDLE", trace(1), span(1), NO_PARENT, fmt_u16(7) + fmt_str("/status")),
        enter("ENTER_READ", trace(1), span(2), span(1), fmt_u8(3)),
        event("EV_PLAIN", trace(1), span(2)),
        event("EV_FIELDS", trace(1), span(2), fmt_i32(-40) + fmt_bool(True)),
        exit_("EXIT_READ", trace(1), span(2), span(1)),
        event("EV_FMT", trace(1), span(1), u8(1) + u8(3) + fmt_u16(250)),
        exit_("EXIT_HANDLE", trace(1), span(1), NO_PARENT),
        ("LOG_LOOKALIKE", u8(1) + u8(2) + u8(3)),
    ],
    # Two tasks of an async executor whose records interleave; manual spans named by a
    # {=str} argument.
    "interleaved": [
        enter("ENTER_NAMED", TRACE_A, span(10), NO_PARENT, string("task_a")),
        enter("ENTER_NAMED", trace(2), span(11), NO_PARENT, string("task_b")),
        enter("ENTER_IDLE", trace(2), span(12), span(11)),
        event("EV_ONLY_FIELDS", TRACE_A, span(10), fmt_u8(5)),
        exit_("EXIT_NAMED", TRACE_A, span(10), NO_PARENT, string("task_a")),
        event("EV_PLAIN", trace(2), span(12)),
        exit_("EXIT_IDLE", trace(2), span(12), span(11)),
        exit_("EXIT_NAMED", trace(2), span(11), NO_PARENT, string("task_b")),
    ],
    # A capture that starts inside a span (its enter not seen), an event of a span whose
    # enter was lost, and spans still open when the stream ends.
    "broken": [
        exit_("EXIT_READ", trace(3), span(20), span(19)),
        enter("ENTER_HANDLE", trace(3), span(21), NO_PARENT, fmt_u16(1) + fmt_str("/x")),
        event("EV_FIELDS", trace(3), span(22), fmt_i32(0) + fmt_bool(False)),
        enter("ENTER_IDLE", trace(3), span(23), span(21)),
        event("EV_PLAIN", trace(3), span(21)),
    ],
    # More events than a span keeps.
    "many_events": (
        [enter("ENTER_IDLE", trace(4), span(30), NO_PARENT)] +
        [event("EV_FIELDS", trace(4), span(30), fmt_i32(n) + fmt_bool(n % 2 == 0))
         for n in range(130)] +
        [exit_("EXIT_IDLE", trace(4), span(30), NO_PARENT)]),
}


def write(path, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "tracing_defmt.s"), assembly())
    for name, records in SCENARIOS.items():
        frames = [frame(index, args, 1000 * (n + 1)) for n, (index, args) in enumerate(records)]
        write(os.path.join(out, name + ".rzcobs"),
              b"".join(rzcobs_encode(f) + b"\x00" for f in frames))


if __name__ == "__main__":
    main()
