// The CPU features the kernels dispatch on, detected once for the whole module (every kernel
// file asks here, so that they cannot disagree). __builtin_cpu_supports reports AVX, AVX2, F16C
// and AVX-512 only when the OS saves their register state (XGETBV). Private to CNativeKernels.
#ifndef BP_CPU_FEATURES_H
#define BP_CPU_FEATURES_H

enum {
    BP_CPU_AVX = 1 << 0,
    BP_CPU_AVX2 = 1 << 1,
    BP_CPU_FMA = 1 << 2,
    BP_CPU_F16C = 1 << 3,
    BP_CPU_AVX512F = 1 << 4,
    BP_CPU_AVX512DQ = 1 << 5,
    BP_CPU_AVX512VL = 1 << 6,
};

/// The features this machine has (BP_CPU_… bits; 0 off x86-64 or without a compiler that
/// detects them).
__attribute__((visibility("hidden"))) int bp_cpu_features(void);

/// Whether every feature in `mask` is present.
static inline int bp_cpu_has(int mask) { return (bp_cpu_features() & mask) == mask; }

#endif
