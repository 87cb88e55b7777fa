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
/*
 * At compile time: CODECS_SSE2 says SSE2 intrinsics may be used without a check (the x86-64
 * baseline); CODECS_X86_DISPATCH says SSSE3/AVX2 copies of a loop may be built (GCC or Clang
 * target attributes, x86-64) and picked with codecs_cpu_has. -DCODECS_PORTABLE_ONLY turns both
 * off, so the plain C paths that other CPUs run are built and tested on x86 too (the suite's
 * *-portable tests).
 */
#if defined(__SSE2__) && !defined(CODECS_PORTABLE_ONLY)
#define CODECS_SSE2 1
#else
#define CODECS_SSE2 0
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(CODECS_PORTABLE_ONLY)
#define CODECS_X86_DISPATCH 1
#else
#define CODECS_X86_DISPATCH 0
#endif

typedef enum CodecsCpuFeature {
    CODECS_CPU_SSSE3,
    CODECS_CPU_AVX2,
} CodecsCpuFeature;

bool codecs_cpu_has(CodecsCpuFeature feature);
