# Tests of the tracing-defmt reconstruction.
