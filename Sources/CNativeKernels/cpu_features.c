// bp_cpu_features (cpu_features.h): one detection for every kernel file.
#include "cpu_features.h"

static int features = -1;

static void detect(void) {
    if (features >= 0) return;
    int f = 0;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx")) f |= BP_CPU_AVX;
    if (__builtin_cpu_supports("avx2")) f |= BP_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) f |= BP_CPU_FMA;
    if (__builtin_cpu_supports("f16c")) f |= BP_CPU_F16C;
    if (__builtin_cpu_supports("avx512f")) f |= BP_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512dq")) f |= BP_CPU_AVX512DQ;
    if (__builtin_cpu_supports("avx512vl")) f |= BP_CPU_AVX512VL;
#endif
    features = f;
}

// Detected before any thread runs a kernel (the static is then only read).
__attribute__((constructor)) static void bp_cpu_features_init(void) { detect(); }

int bp_cpu_features(void) {
    detect();
    return features;
}
