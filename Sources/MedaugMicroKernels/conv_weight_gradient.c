// A stride-1 convolution's weight gradient without im2col: the entry point
// and the AVX-512 tier, the only one. Two AVX2 versions of this loop
// (8-float strips, 3–4 output channels per block in 16 registers; masked
// border loads, then a zero-padded copy of each plane) were at best 3%
// faster than im2col + OpenBLAS's Haswell GEMM in the quick segmenter's
// training (docs/design.md §3.6, 2026-12-05), so that tier keeps the GEMM.
//
// dW[o][c][ky][kx] is the dot product of dy's plane o with input plane c
// shifted by (ky, kx). For one input channel c and one ky, a block of ROWS
// output channels keeps ROWS × k accumulators: per output row and 16-pixel
// strip it loads the k shifted input vectors and each channel's dy vector
// once and does ROWS × k multiply-adds. Training's im2col + GEMM for the same
// sums wrote the k²-times-larger columns and then had OpenBLAS pack them
// (with 8–64 output channels, as long as the multiply took).
#include "md_microkernels.h"
#include "conv_direct.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

// Output channels [o0, o0 + rows) (rows ≤ ROWS; the missing ones repeat the
// last channel's dy and are not stored) × input channel c × kernel row ky.
#define GRADIENT(K, ROWS)                                                                              \
    static TARGET void gradient_##K(int cin, int h, int w, const float *input, int c, int ky, int pad, \
                                    const float *dy, int out_h, int out_w, int o0, int rows,            \
                                    float *dw) {                                                        \
        const float *dyr[ROWS];                                                                         \
        for (int r = 0; r < ROWS; r++) dyr[r] = dy + (long)(o0 + (r < rows ? r : rows - 1)) * out_h * out_w; \
        __m512 acc[ROWS][K];                                                                            \
        for (int r = 0; r < ROWS; r++)                                                                  \
            for (int kx = 0; kx < K; kx++) acc[r][kx] = _mm512_setzero_ps();                            \
        int y_begin = pad - ky > 0 ? pad - ky : 0;                                                      \
        int y_end = h + pad - ky < out_h ? h + pad - ky : out_h;                                        \
        for (int x0 = 0; x0 < out_w; x0 += 16) {                                                        \
            int valid = out_w - x0 < 16 ? out_w - x0 : 16;                                              \
            __mmask16 m[K], s = md_direct_lanes16(0, 16, valid);                                        \
            for (int kx = 0; kx < K; kx++) m[kx] = md_direct_lanes16(x0 + kx - pad, w, valid);          \
            for (int oy = y_begin; oy < y_end; oy++) {                                                  \
                const float *row = input + ((long)c * h + oy + ky - pad) * w + x0 - pad;                \
                __m512 x[K];                                                                            \
                for (int kx = 0; kx < K; kx++) x[kx] = _mm512_maskz_loadu_ps(m[kx], row + kx);          \
                for (int r = 0; r < ROWS; r++) {                                                        \
                    __m512 d = _mm512_maskz_loadu_ps(s, dyr[r] + (long)oy * out_w + x0);                \
                    for (int kx = 0; kx < K; kx++) acc[r][kx] = _mm512_fmadd_ps(d, x[kx], acc[r][kx]);  \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        for (int r = 0; r < rows; r++) {                                                                \
            float *target = dw + (((long)(o0 + r) * cin + c) * K + ky) * K;                             \
            for (int kx = 0; kx < K; kx++) target[kx] += _mm512_reduce_add_ps(acc[r][kx]);              \
        }                                                                                               \
    }

// ROWS × k accumulators, k shifted inputs and a dy vector in 32 registers.
GRADIENT(1, 8)
GRADIENT(2, 8)
GRADIENT(3, 8)
GRADIENT(4, 6)
GRADIENT(5, 4)
GRADIENT(6, 4)
GRADIENT(7, 3)

typedef void (*gradient_fn)(int, int, int, const float *, int, int, int, const float *, int, int, int, int,
                            float *);
static gradient_fn const gradients[8] = {0, gradient_1, gradient_2, gradient_3, gradient_4,
                                         gradient_5, gradient_6, gradient_7};
static const int block_rows[8] = {0, 8, 8, 8, 6, 4, 4, 3};

static TARGET void conv_weight_gradient_avx512(int cin, int h, int w, const float *input, int cout, int k,
                                               int pad, const float *dy, int out_h, int out_w, int c_begin,
                                               int c_end, float *dw) {
    int block = block_rows[k];
    for (int c = c_begin; c < c_end; c++) {
        for (int o0 = 0; o0 < cout; o0 += block) {
            int rows = cout - o0 < block ? cout - o0 : block;
            for (int ky = 0; ky < k; ky++) {
                gradients[k](cin, h, w, input, c, ky, pad, dy, out_h, out_w, o0, rows, dw);
            }
        }
    }
}

int md_conv_weight_gradient_stride1(int cin, int h, int w, const float *input, int cout, int k, int pad,
                                    const float *grad_output, int out_h, int out_w, int c_begin, int c_end,
                                    float *grad_weights) {
    int tier = md_cpu_tier();
    if (tier != MD_CPU_AVX512 || k > DIRECT_MAX_KERNEL || k < 1) return 0;
    md_count_run(MD_FAMILY_DIRECT_WEIGHT_GRADIENT, tier);
    if (cout <= 0 || c_end <= c_begin) return 1;
    conv_weight_gradient_avx512(cin, h, w, input, cout, k, pad, grad_output, out_h, out_w, c_begin, c_end,
                                grad_weights);
    return 1;
}
#else
// No kernels of this family for this architecture yet: callers take the
// portable path.
int md_conv_weight_gradient_stride1(int cin, int h, int w, const float *input, int cout, int k, int pad,
                                    const float *grad_output, int out_h, int out_w, int c_begin, int c_end,
                                    float *grad_weights) {
    (void)cin, (void)h, (void)w, (void)input, (void)cout, (void)k, (void)pad, (void)grad_output, (void)out_h;
    (void)out_w, (void)c_begin, (void)c_end, (void)grad_weights;
    return 0;
}
#endif
