/* cpu-features: which optional x86 instruction sets the codecs' fast paths may use. */
#pragma once

#include <stdbool.h>

/*
 * Codecs compile SSE2 code unconditionally on x86-64 (it is the baseline) and pick SSSE3 or
 * AVX2 variants at run time. Every variant produces the same bytes or pixels as the baseline;
 * only speed differs. The answer is the CPU's, except that SPICE_CODECS_CPU=baseline in the
 * environment turns every optional set off, so tests can run the baseline code on any machine
 * (the test suite does, as the *-baseline tests).
 *
 * Decided once per process on first use; thread-safe.
 */
typedef enum CodecsCpuFeature {
    CODECS_CPU_SSSE3,
    CODECS_CPU_AVX2,
} CodecsCpuFeature;

bool codecs_cpu_has(CodecsCpuFeature feature);
