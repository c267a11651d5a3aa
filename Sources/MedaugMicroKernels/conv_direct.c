// The direct stride-1 convolution: the entry point (dispatching on the CPU
// tier) and the AVX-512 tier; the AVX2 tier is conv_direct_avx2.c.
#include "md_microkernels.h"
#include "conv_direct.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))
#define MAX_KERNEL DIRECT_MAX_KERNEL

// ROWS output channels × 32 output pixels of one output row: the whole
// (input channel, ky, kx) reduction in registers, B read straight from the
// input rows (a stride-1 convolution's im2col column block is just the
// input row shifted by kx).
#define DIRECT(ROWS)                                                                        \
    static TARGET void direct_##ROWS(int cin, int h, int w, const float *input, int k,      \
                                     int pad, const float *weights, int depth, int oy,      \
                                     int x0, const __mmask16 *m0, const __mmask16 *m1,      \
                                     float *out, int plane, __mmask16 s0, __mmask16 s1) {   \
        __m512 acc0[ROWS], acc1[ROWS];                                                      \
        for (int r = 0; r < ROWS; r++) {                                                    \
            acc0[r] = _mm512_setzero_ps();                                                  \
            acc1[r] = _mm512_setzero_ps();                                                  \
        }                                                                                   \
        for (int ci = 0; ci < cin; ci++) {                                                  \
            for (int ky = 0; ky < k; ky++) {                                                \
                int iy = oy + ky - pad;                                                     \
                if (iy < 0 || iy >= h) continue;                                            \
                const float *row = input + ((long)ci * h + iy) * w + x0 - pad;              \
                const float *wk = weights + (ci * k + ky) * k;                              \
                for (int kx = 0; kx < k; kx++) {                                            \
                    __m512 b0 = _mm512_maskz_loadu_ps(m0[kx], row + kx);                    \
                    __m512 b1 = _mm512_maskz_loadu_ps(m1[kx], row + kx + 16);               \
                    for (int r = 0; r < ROWS; r++) {                                        \
                        __m512 a = _mm512_set1_ps(wk[(long)r * depth + kx]);                \
                        acc0[r] = _mm512_fmadd_ps(a, b0, acc0[r]);                          \
                        acc1[r] = _mm512_fmadd_ps(a, b1, acc1[r]);                          \
                    }                                                                       \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        for (int r = 0; r < ROWS; r++) {                                                    \
            _mm512_mask_storeu_ps(out + (long)r * plane, s0, acc0[r]);                      \
            _mm512_mask_storeu_ps(out + (long)r * plane + 16, s1, acc1[r]);                 \
        }                                                                                   \
    }

DIRECT(8)
DIRECT(7)
DIRECT(6)
DIRECT(5)
DIRECT(4)
DIRECT(3)
DIRECT(2)
DIRECT(1)

typedef void (*direct_fn)(int, int, int, const float *, int, int, const float *, int, int, int,
                          const __mmask16 *, const __mmask16 *, float *, int, __mmask16, __mmask16);
static direct_fn const directs[9] = {0, direct_1, direct_2, direct_3, direct_4,
                                     direct_5, direct_6, direct_7, direct_8};

static TARGET void conv_direct_avx512(int cin, int h, int w, const float *input, int cout, int k,
                                      int pad, const float *weights, int out_h, int out_w,
                                      int row_begin, int row_end, float *output) {
    int depth = cin * k * k;
    int plane = out_h * out_w;
    __mmask16 m0[MAX_KERNEL], m1[MAX_KERNEL];
    for (int x0 = 0; x0 < out_w; x0 += 32) {
        int valid = out_w - x0 < 32 ? out_w - x0 : 32;
        for (int kx = 0; kx < k; kx++) {
            m0[kx] = md_direct_lanes16(x0 + kx - pad, w, valid);
            m1[kx] = md_direct_lanes16(x0 + kx - pad + 16, w, valid - 16);
        }
        __mmask16 s0 = md_direct_lanes16(0, 16, valid), s1 = md_direct_lanes16(0, 16, valid - 16);
        for (int oy = row_begin; oy < row_end; oy++) {
            for (int c0 = 0; c0 < cout; c0 += 8) {
                int rows = cout - c0 < 8 ? cout - c0 : 8;
                directs[rows](cin, h, w, input, k, pad, weights + (long)c0 * depth, depth, oy, x0, m0, m1,
                              output + (long)c0 * plane + (long)oy * out_w + x0, plane, s0, s1);
            }
        }
    }
}

int md_conv_direct_stride1(int cin, int h, int w, const float *input, int cout, int k, int pad,
                               const float *weights, int out_h, int out_w, int row_begin,
                               int row_end, float *output) {
    int tier = md_cpu_tier();
    if ((tier != MD_CPU_AVX512 && tier != MD_CPU_AVX2) || k > MAX_KERNEL || k < 1) return 0;
    md_count_run(MD_FAMILY_DIRECT, tier);
    if (cout <= 0 || row_end <= row_begin) return 1;
    if (tier == MD_CPU_AVX512) {
        conv_direct_avx512(cin, h, w, input, cout, k, pad, weights, out_h, out_w, row_begin, row_end, output);
    } else {
        md_conv_direct_avx2(cin, h, w, input, cout, k, pad, weights, out_h, out_w, row_begin, row_end, output);
    }
    return 1;
}
#else
// No kernels of this family for this architecture yet: callers take the
// portable path.
int md_conv_direct_stride1(int cin, int h, int w, const float *input, int cout, int k, int pad, const float *weights,
                           int out_h, int out_w, int row_begin, int row_end, float *output) {
    (void)cin, (void)h, (void)w, (void)input, (void)cout, (void)k, (void)pad, (void)weights, (void)out_h;
    (void)out_w, (void)row_begin, (void)row_end, (void)output;
    return 0;
}
#endif
