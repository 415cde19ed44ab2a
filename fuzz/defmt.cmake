# defmt decoding: the rzCOBS decoder and deframer, and the defmt frame decoder (arbitrary
# bytes against an in-process table, as frames and as rzCOBS and raw streams).
et_fuzz_target(rzcobs_fuzz edgetrace::decoder)
et_fuzz_target(defmt_frame_fuzz edgetrace::decoder)
