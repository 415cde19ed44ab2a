#!/usr/bin/env python3
"""Writes the defmt test corpus: assembler sources for firmware-like ELF files with a
`.defmt` section (symbols named by defmt's JSON objects, their value the wire index), and
the byte streams a defmt 0.3 (wire format v4) firmware would send for the frames below,
rzCOBS-framed and raw.

The frames follow defmt's encoder (defmt/src/export/mod.rs): u16 LE string index, the
timestamp's arguments, then each argument in argument-index order: integers little-endian
at their own width (usize/isize as 4 bytes), bool as one byte, char as u32, str and [u8] as
u32 length + bytes, istr and nested formats as u16 indices, enums as a u8 discriminant,
[?] as u32 count + one format index + the elements, FormatSequence as indices ending in 0,
Debug2Format/Display2Format text ending in 0xff.

What defmt-print prints for each frame (its default line, "{t} {L} {s}" as the firmware
has a timestamp) is written by hand in corpus.expected, in the same order, from
defmt-decoder's rules (docs/defmt.md); it is not produced here.

It also writes locations.cpp, a C++ file whose variables stand for defmt's
DEFMT_LOG_STATEMENT statics (in namespaces, as Rust modules appear in DWARF), so that the
compiler produces real DWARF for them. Compilers do not quote symbol names, so its
symbols are placeholders; `--quote IN.s OUT.s` replaces them by the JSON names in the
compiler's assembler output.

Usage: gen_defmt_corpus.py OUT_DIR
       gen_defmt_corpus.py --quote IN.s OUT.s
"""

import math
import os
import re
import struct
import sys

# ---------------------------------------------------------------------------------------
# The interned strings: (index, tag, data). Index 0 is never used (defmt starts at 1).

P_U8, P_U16, P_STR, D_FOO, D_OPTION, D_UNIT, S_HELLO, B_FLAGS, D_DATA, P_SLICE, D_ABC = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
P_SEQ, W_BAR, W_ID = 12, 13, 14

NESTED = [
    (P_U8, "defmt_prim", "{=u8}"),
    (P_U16, "defmt_prim", "{=u16}"),
    (P_STR, "defmt_prim", "{=str}"),
    (D_FOO, "defmt_derived", "Foo {{ x: {=u8}, y: {=i16} }}"),
    (D_OPTION, "defmt_derived", "None|Some({=?})"),
    (D_UNIT, "defmt_derived", "Unit"),
    (S_HELLO, "defmt_str", "interned hello"),
    (B_FLAGS, "defmt_bitflags", "{=u8:__internal_bitflags_Flags@app@77@app}"),
    (D_DATA, "defmt_derived", "Data {{ name: {=?:?} }}"),
    (P_SLICE, "defmt_prim", "{=[?]}"),
    (D_ABC, "defmt_derived", "A|B({=u8})|C"),
    # A manual `impl Format` sends this format's index, then its write!s, then 0
    # (defmt/src/traits.rs Format::_format_tag / _format_data).
    (P_SEQ, "defmt_prim", "{=__internal_FormatSequence}"),
    # write!(f, "{=u8}|", x) in an impl Format: a write!'s string is text, its '|' included
    # (only derived formats are enums; docs/defmt.md says where this rule comes from).
    (W_BAR, "defmt_write", "{=u8}|"),
    (W_ID, "defmt_write", "Id({=u8:x})"),
]

TIMESTAMP = "{=u32:us}"
# defmt::bitflags! names each flag's value symbol `NAME::IDX::FLAG`, IDX its position in the
# definition (macros/src/items/bitflags.rs codegen_flag_statics); defmt-decoder splits `data`
# on "::" into exactly these three parts and lists flags by IDX, whatever the symbol order
# (decoder/src/elf2table/mod.rs). The symbols are written out of order here on purpose.
BITFLAGS = [("Flags::2::C", 4), ("Flags::0::A", 1), ("Flags::1::B", 2)]


def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def u128(v): return (v & ((1 << 128) - 1)).to_bytes(16, "little")
def i8(v): return struct.pack("<b", v)
def i16(v): return struct.pack("<h", v)
def i32(v): return struct.pack("<i", v)
def i64(v): return struct.pack("<q", v)
def i128(v): return u128(v)
def f32(v): return struct.pack("<f", v)
def f64(v): return struct.pack("<d", v)
def boolean(v): return u8(1 if v else 0)
def char(c): return u32(ord(c))
def string(s): b = s.encode(); return u32(len(b)) + b
def byteslice(b): return u32(len(b)) + bytes(b)
def istr(i): return u16(i)
def foo(x, y): return u16(D_FOO) + u8(x) + i16(y)


# The log frames: (tag, format, argument bytes). Indices are assigned from 20 upwards.
FRAMES = [
    ("defmt_info", "Hello, world!", b""),
    ("defmt_debug", "u8={=u8} u16={=u16} u32={=u32}", u8(42) + u16(65535) + u32(4294967295)),
    ("defmt_trace", "u64={=u64} u128={=u128}", u64(2**64 - 1) + u128(2**128 - 1)),
    ("defmt_warn", "i8={=i8} i16={=i16} i32={=i32} i64={=i64} i128={=i128}",
     i8(-1) + i16(-300) + i32(-70000) + i64(-5000000000) + i128(-(2**127))),
    ("defmt_error", "usize={=usize} isize={=isize}", u32(4000000000) + i32(-2)),
    ("defmt_info", "f32={=f32} f64={=f64}", f32(1.5) + f64(0.1)),
    ("defmt_info", "f={=f32} {=f32} {=f32} {=f64} {=f64} {=f64} {=f64} {=f64} {=f64}",
     f32(1.0) + f32(1e-7) + f32(math.nan) + f64(1e20) + f64(1e15) + f64(12345.678) +
     f64(-0.0) + f64(0.00001) + f64(-math.inf)),
    ("defmt_info", "bool {=bool} {=bool}", boolean(True) + boolean(False)),
    ("defmt_info", "char {=char} {=char}", char("a") + char("\U0001F49C")),
    ("defmt_info", "str {=str}!", string("World")),
    ("defmt_info", "istr {=istr}", istr(S_HELLO)),
    ("defmt_info", "bytes {=[u8]} arr {=[u8;3]}", byteslice([1, 2, 255]) + bytes([0, 16, 32])),
    ("defmt_info", "hex {=u8:x} {=u8:#x} {=u16:X} {=u16:#X} {=u32:08x} {=u32:#010x}",
     u8(255) + u8(255) + u16(0xBEEF) + u16(0xBEEF) + u32(0xABC) + u32(0xABC)),
    ("defmt_info", "bin {=u8:b} {=u8:#b} {=u8:08b} {=u8:o} {=u8:#o}",
     u8(5) + u8(5) + u8(5) + u8(8) + u8(8)),
    ("defmt_info", "neg hex {=i8:x} {=i16:#x} {=i32:X} {=i64:x}",
     i8(-1) + i16(-1) + i32(-2) + i64(-16)),
    ("defmt_info", "pad {=u8:03} {=i8:04} {=u8:a}", u8(7) + i8(-5) + u8(65)),
    ("defmt_info", "str debug {=str:?} istr {=istr:?}", string("a\"b\\c\n\t") + istr(S_HELLO)),
    ("defmt_info", "ascii {=[u8]:a}", byteslice(b'hi "x"\\\n\x01\xff')),
    ("defmt_info", "bytes hex {=[u8]:x} {=[u8;2]:#04x}", byteslice([1, 171]) + bytes([10, 255])),
    ("defmt_info", "nested {=?}", foo(42, -3)),
    ("defmt_info", "implicit {}", u16(D_UNIT)),
    ("defmt_info", "enum {} {}", u16(D_OPTION) + u8(0) + u16(D_OPTION) + u8(1) + u16(P_U8) + u8(9)),
    ("defmt_info", "slice {=[?]}", u32(3) + u16(P_U16) + u16(1) + u16(2) + u16(300)),
    ("defmt_info", "array {=[?;2]}", u16(D_ABC) + u8(1) + u8(7) + u8(2)),
    ("defmt_info", "ascii slice {=[?]:a}", u32(2) + u16(P_U8) + u8(72) + u8(105)),
    ("defmt_info", "{=[?]:a}",
     u32(1) + u16(D_DATA) + u16(P_SLICE) + u32(2) + u16(P_U8) + u8(72) + u8(105)),
    ("defmt_info", "time {=u32:us} {=u32:ms} {=u64:ts} {=u64:tms} {=u64:tus}",
     u32(1234567) + u32(1234) + u64(3725) + u64(90061001) + u64(5000001)),
    ("defmt_info", "iso {=u64:iso8601ms} {=u64:iso8601s}", u64(1618910624804) + u64(0)),
    ("defmt_info", "bits {0=0..4:b} {0=3..8:#b}", u8(0b11100101)),
    ("defmt_info", "bits16 {0=7..12:b} {1=u8}", bytes([0b11110000, 0b11100101]) + u8(42)),
    ("defmt_info", "flags {} {}", u16(B_FLAGS) + u8(5) + u16(B_FLAGS) + u8(0)),
    ("defmt_println", "println {=u8}", u8(1)),
    ("defmt_info", "seq {=__internal_FormatSequence}", u16(D_UNIT) + foo(1, 2) + u16(0)),
    ("defmt_info", "dbg {=__internal_Debug} {=__internal_Display}",
     b'Some("x")\xff' + b"3.5\xff"),
    ("defmt_info", "debug hint {=u8:?} {:?}", u8(200) + foo(1, -1)),
    ("defmt_info", "inherit {:x}", foo(255, -1)),
    ("defmt_warn", "multi\nline {=u8}", u8(3)),
    ("defmt_info", "escaped {{braces}} {=u8}", u8(1)),
    ("defmt_info", "indexed {1=u8} {0=u16} {1=u8}", u16(0x1234) + u8(7)),
    ("defmt_error", "unicode \u00fcn\u00efc\u00f6d\u00e9 {=str}", string("\u2192 ok")),
    ("defmt_info", "zero-length {=[u8]} {=str}|", byteslice([]) + string("")),
    ("defmt_info", "options {=?} {=?}", u16(D_OPTION) + u8(1) + foo(3, 4) + u16(D_OPTION) + u8(0)),
    # Manual Format impls: a write! with '|' prints it; '|' in a log string or an interned
    # string is text too.
    ("defmt_info", "manual {} {}",
     u16(P_SEQ) + u16(W_BAR) + u8(13) + u16(0) +
     u16(P_SEQ) + u16(W_ID) + u8(171) + u16(W_ID) + u8(1) + u16(0)),
    ("defmt_info", "bar | {=u8} | {=istr}", u8(5) + istr(S_HELLO)),
    # Years after 9999 (chrono writes them with a sign; see docs/defmt.md).
    ("defmt_info", "iso big {=u64:iso8601s} {=u64:iso8601ms} {=u64:iso8601s}",
     u64(1618910624804) + u64(1618910624804123) + u64(253402300800)),
]

FIRST_LOG_INDEX = 20


def rzcobs_encode(data):
    """rzCOBS as its README states it, read forwards: groups of 7 bytes with a bitmap of
    zeros (0xxxxxxx), runs of n+7 non-zero bytes followed by a zero (1nnnnnnn), 134 non-zero
    bytes (0xff). Returns the frame without its 0x00 delimiter."""
    out = bytearray()
    i = 0
    while i < len(data):
        run = 0
        while i + run < len(data) and data[i + run] != 0 and run < 134:
            run += 1
        if run == 134:
            out += data[i:i + 134]
            out.append(0xFF)
            i += 134
        elif run >= 7:
            out += data[i:i + run]
            out.append(0x80 | (run - 7))
            i += run + 1
        else:
            bitmap = 0
            for j in range(7):
                if i + j >= len(data) or data[i + j] == 0:
                    bitmap |= 1 << j
                else:
                    out.append(data[i + j])
            out.append(bitmap)
            i += 7
    return bytes(out)


def json_name(tag, data, disambiguator):
    def q(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return ("{" + '"package":' + q("app") + ',"tag":' + q(tag) + ',"data":' + q(data) +
            ',"disambiguator":' + q(str(disambiguator)) + ',"crate_name":' + q("app") + "}")


def asm_quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def assembly(entries, version="4", encoding="rzcobs", timestamp=TIMESTAMP, bitflags=BITFLAGS,
             extra_names=()):
    """entries: (index, tag, data). Each symbol is placed at offset == index."""
    lines = ['\t.section .defmt,"",@progbits']
    pos = 0
    def place(name, offset, size=1, payload=None, local=False):
        nonlocal pos
        if offset < pos:
            raise ValueError("overlapping .defmt symbols")
        if offset > pos:
            lines.append("\t.skip %d" % (offset - pos))
        quoted = asm_quote(name)
        if not local:
            lines.append("\t.globl %s" % quoted)
        lines.append("%s:" % quoted)
        if payload is None:
            lines.append("\t.byte 0")
        else:
            lines.append("\t.byte " + ",".join(str(b) for b in payload))
        lines.append("\t.size %s, %d" % (quoted, size))
        pos = offset + size
    disamb = 1000
    for index, tag, data in sorted(entries):
        place(json_name(tag, data, disamb), index)
        disamb += 1
    offset = max(i for i, _, _ in entries) + 1
    if timestamp is not None:
        place(json_name("defmt_timestamp", timestamp, disamb), offset)
        offset += 1
    if bitflags:
        for flag, value in bitflags:
            name = ('{"package":"app","tag":"defmt_bitflags_value","data":"%s",'
                    '"disambiguator":"77","crate_name":"app"}' % flag)
            place(name, offset, 16, u128(value), local=True)
            offset += 16
    for name in extra_names:
        place(name, offset)
        offset += 1
    if encoding is not None:
        place("_defmt_encoding_ = " + encoding, offset)
        offset += 1
    if version is not None:
        place("_defmt_version_ = " + version, offset)
        offset += 1
    # Something allocated, so that the linked file looks like a program.
    lines += ["\t.text", "\t.globl _start", "_start:", "\tnop", ""]
    return "\n".join(lines)


def log_entries():
    return [(FIRST_LOG_INDEX + n, tag, fmt) for n, (tag, fmt, _) in enumerate(FRAMES)]


def frames():
    out = []
    for n, (_, _, args) in enumerate(FRAMES):
        out.append(u16(FIRST_LOG_INDEX + n) + u32(1000 * (n + 1)) + args)
    return out


# locations.cpp: (placeholder, index, tag, data, namespace path); line numbers are fixed
# by the layout below and asserted by DefmtCorpusTest.LocationsComeFromDwarf.
LOCATION_ENTRIES = [
    ("defmt_ph_1", 1, "defmt_info", "located {=u8}", ["app", "net"]),
    ("defmt_ph_2", 2, "defmt_warn", "top level", ["app"]),
]


def locations_cpp():
    lines = [
        "// Generated by gen_defmt_corpus.py: stands for defmt's DEFMT_LOG_STATEMENT statics.",
        "namespace app {",
        "namespace net {",
        '[[gnu::used, gnu::section(".defmt")]] char DEFMT_LOG_STATEMENT asm("defmt_ph_1") = 0;',
        "}  // namespace net",
        '[[gnu::used, gnu::section(".defmt")]] char DEFMT_LOG_STATEMENT asm("defmt_ph_2") = 0;',
        "}  // namespace app",
        '[[gnu::used, gnu::section(".defmt")]] char defmt_version asm("defmt_ph_version") = 0;',
        "",
    ]
    return "\n".join(lines)


def quote_symbols(src, dst):
    names = {"version": "_defmt_version_ = 4"}
    for ph, index, tag, data, _ in LOCATION_ENTRIES:
        names[ph[len("defmt_ph_"):]] = json_name(tag, data, 2000 + index)
    with open(src) as f:
        text = f.read()
    def sub(m):
        return asm_quote(names[m.group(2)])
    text = re.sub(r'(")?\bdefmt_ph_(\w+)\b(?(1)")', sub, text)
    write(dst, text)


def write(path, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)


def main():
    if sys.argv[1] == "--quote":
        quote_symbols(sys.argv[2], sys.argv[3])
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    entries = NESTED + log_entries()
    write(os.path.join(out, "corpus.s"), assembly(entries))
    write(os.path.join(out, "corpus_raw.s"), assembly(entries, encoding="raw"))
    write(os.path.join(out, "version3.s"), assembly(entries, version="3"))
    write(os.path.join(out, "no_version.s"), assembly(entries, version=None))
    write(os.path.join(out, "bad_json.s"),
          assembly(NESTED, extra_names=['{"package":"app","tag":"defmt_info","data":"x=']))
    write(os.path.join(out, "no_defmt.s"), "\t.text\n\t.globl _start\n_start:\n\tnop\n")
    # The form defmt wrote before bitflags values had an index, and a non-numeric index:
    # both refused by defmt-decoder ("malformed bitflags value string").
    write(os.path.join(out, "bitflags_no_index.s"),
          assembly(NESTED, bitflags=[("Flags::A", 1)]))
    write(os.path.join(out, "bitflags_bad_index.s"),
          assembly(NESTED, bitflags=[("Flags::x::A", 1)]))
    write(os.path.join(out, "locations.cpp"), locations_cpp())
    fs = frames()
    write(os.path.join(out, "corpus.raw"), b"".join(fs))
    write(os.path.join(out, "corpus.rzcobs"), b"".join(rzcobs_encode(f) + b"\x00" for f in fs))
    # One unencoded frame per line, hex, for tests that cut and damage single frames.
    write(os.path.join(out, "frames.hex"), "".join(f.hex() + "\n" for f in fs))


if __name__ == "__main__":
    main()
