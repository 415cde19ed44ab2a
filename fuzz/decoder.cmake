# The decoder's edgetrace frame decoder and ELF / call-site table reader.
et_fuzz_target(edgetrace_frame_fuzz edgetrace::decoder edgetrace::testing_wire)
target_include_directories(edgetrace_frame_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/src/decoder)
et_fuzz_target(elf_reader_fuzz edgetrace::decoder)
target_include_directories(elf_reader_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/src/decoder)
# Decoder + bridge: device bytes to OTLP.
et_fuzz_target(bridge_fuzz edgetrace::bridge edgetrace::testing_wire)
