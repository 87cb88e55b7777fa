/* cpu-features: which optional x86 instruction sets the codecs' fast paths may use. */
#include "cpu-features.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define FEATURES_KNOWN (1u << 31)

static unsigned detect(void)
{
    unsigned found = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    const char *limit = getenv("SPICE_CODECS_CPU");
    if (limit == NULL || strcmp(limit, "baseline") != 0) {
        __builtin_cpu_init();
        found |= __builtin_cpu_supports("ssse3") ? 1u << CODECS_CPU_SSSE3 : 0;
        found |= __builtin_cpu_supports("avx2") ? 1u << CODECS_CPU_AVX2 : 0;
    }
#endif
    return found | FEATURES_KNOWN;
}

bool codecs_cpu_has(CodecsCpuFeature feature)
{
    /* Every thread computes the same value, so a race only repeats the detection. */
    static atomic_uint features;
    unsigned f = atomic_load_explicit(&features, memory_order_relaxed);
    if (!(f & FEATURES_KNOWN)) {
        f = detect();
        atomic_store_explicit(&features, f, memory_order_relaxed);
    }
    return (f >> feature) & 1u;
}
