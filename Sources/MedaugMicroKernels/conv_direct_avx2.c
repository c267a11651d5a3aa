// The direct stride-1 convolution, AVX2 + FMA tier: conv_direct.c's loop on
// 16 ymm registers. A block of 6 output channels × 16 output pixels (two ymm
// per channel) keeps 12 accumulators, the two input vectors and the
// broadcast weight in registers; a 32-pixel strip runs as two halves. Each
// output is one fused multiply-add chain over (input channel, ky, kx) in
// order from 0, as on AVX-512, so both tiers give the same bits.
#include "md_microkernels.h"
#include "conv_direct.h"
#include "sgemm_strips.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// Lanes of an 8-float load starting at input column `x` that fall inside
// [0, width) and inside the first `valid` lanes, as a maskload mask.
static TARGET __m256i lanes8(int x, int width, int valid) {
    int bits[8];
    for (int lane = 0; lane < 8; lane++) {
        int column = x + lane;
        bits[lane] = lane < valid && column >= 0 && column < width ? -1 : 0;
    }
    return _mm256_loadu_si256((const __m256i *)bits);
}

#define DIRECT(ROWS)                                                                                  \
    static TARGET void direct_##ROWS(int cin, int h, int w, const float *input, int k, int pad,       \
                                     const float *weights, int depth, int oy, int x0, const __m256i *m0, \
                                     const __m256i *m1, float *out, int plane, __m256i s0, __m256i s1) { \
        __m256 acc0[ROWS], acc1[ROWS];                                                                \
        for (int r = 0; r < ROWS; r++) {                                                              \
            acc0[r] = _mm256_setzero_ps();                                                            \
            acc1[r] = _mm256_setzero_ps();                                                            \
        }                                                                                             \
        for (int ci = 0; ci < cin; ci++) {                                                            \
            for (int ky = 0; ky < k; ky++) {                                                          \
                int iy = oy + ky - pad;                                                               \
                if (iy < 0 || iy >= h) continue;                                                      \
                const float *row = input + ((long)ci * h + iy) * w + x0 - pad;                        \
                const float *wk = weights + (ci * k + ky) * k;                                        \
                for (int kx = 0; kx < k; kx++) {                                                      \
                    __m256 b0 = _mm256_maskload_ps(row + kx, m0[kx]);                                 \
                    __m256 b1 = _mm256_maskload_ps(row + kx + 8, m1[kx]);                             \
                    for (int r = 0; r < ROWS; r++) {                                                  \
                        __m256 a = _mm256_broadcast_ss(wk + (long)r * depth + kx);                    \
                        acc0[r] = _mm256_fmadd_ps(a, b0, acc0[r]);                                    \
                        acc1[r] = _mm256_fmadd_ps(a, b1, acc1[r]);                                    \
                    }                                                                                 \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
        for (int r = 0; r < ROWS; r++) {                                                              \
            _mm256_maskstore_ps(out + (long)r * plane, s0, acc0[r]);                                  \
            _mm256_maskstore_ps(out + (long)r * plane + 8, s1, acc1[r]);                              \
        }                                                                                             \
    }

DIRECT(6)
DIRECT(5)
DIRECT(4)
DIRECT(3)
DIRECT(2)
DIRECT(1)

typedef void (*direct_fn)(int, int, int, const float *, int, int, const float *, int, int, int, const __m256i *,
                          const __m256i *, float *, int, __m256i, __m256i);
static direct_fn const directs[7] = {0, direct_1, direct_2, direct_3, direct_4, direct_5, direct_6};

TARGET void md_conv_direct_avx2(int cin, int h, int w, const float *input, int cout, int k, int pad, const float *weights,
                                int out_h, int out_w, int row_begin, int row_end, float *output) {
    int depth = cin * k * k;
    int plane = out_h * out_w;
    __m256i m0[DIRECT_MAX_KERNEL], m1[DIRECT_MAX_KERNEL];
    for (int x0 = 0; x0 < out_w; x0 += 16) {
        int valid = out_w - x0 < 16 ? out_w - x0 : 16;
        for (int kx = 0; kx < k; kx++) {
            m0[kx] = lanes8(x0 + kx - pad, w, valid);
            m1[kx] = lanes8(x0 + kx - pad + 8, w, valid - 8);
        }
        __m256i s0 = lanes8(0, 8, valid), s1 = lanes8(0, 8, valid - 8);
        for (int oy = row_begin; oy < row_end; oy++) {
            // Channel blocks as the AVX2 strips kernel's row blocks.
            for (int c0 = 0, rows; c0 < cout; c0 += rows) {
                rows = avx2_block_rows(cout - c0);
                directs[rows](cin, h, w, input, k, pad, weights + (long)c0 * depth, depth, oy, x0, m0, m1,
                              output + (long)c0 * plane + (long)oy * out_w + x0, plane, s0, s1);
            }
        }
    }
}
#endif
