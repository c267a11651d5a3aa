// The per-tier bodies of md_conv_direct_stride1 (internal to the
// micro-kernels): k in 1 … DIRECT_MAX_KERNEL, cout > 0, rows non-empty.
#ifndef MD_CONV_DIRECT_H
#define MD_CONV_DIRECT_H

#define DIRECT_MAX_KERNEL 7

#if defined(__x86_64__)
#include <immintrin.h>

// Lanes of a 16-float load starting at column `x` that fall inside
// [0, width) and inside the first `valid` lanes of the strip (AVX-512: the
// direct convolution and the weight gradient, conv_weight_gradient.c).
static inline __attribute__((target("avx512f"))) __mmask16 md_direct_lanes16(int x, int width, int valid) {
    unsigned bits = 0;
    for (int lane = 0; lane < 16 && lane < valid; lane++) {
        int column = x + lane;
        if (column >= 0 && column < width) bits |= 1u << lane;
    }
    return (__mmask16)bits;
}
#endif

void md_conv_direct_avx2(int cin, int h, int w, const float *input, int cout, int k, int pad, const float *weights,
                         int out_h, int out_w, int row_begin, int row_end, float *output);

#endif
