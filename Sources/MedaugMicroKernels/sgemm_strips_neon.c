// The strips GEMM, NEON tier (aarch64: 32 registers of 4 floats).
//
// A block of up to 6 rows of C × 16 columns keeps 24 accumulators, four B
// vectors and the broadcast of A in registers. Each element of C is one
// fused multiply-add chain over p = 0..k-1 in order (FMLA), as on the x86
// tiers, so all give the same bits. A strip narrower than 16 columns goes
// through a zero-padded copy of each row as it is read. Packed strips of 32 columns run
// as two halves of 16 (stride 32 floats per p).
#include "md_microkernels.h"
#include "sgemm_strips.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

// ROWS rows × 16 columns; b holds 16 valid floats per row (ldb apart).
#define KERNEL(ROWS)                                                                                     \
    static void kernel_##ROWS(int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, \
                              int width) {                                                               \
        float32x4_t acc[ROWS][4];                                                                        \
        for (int r = 0; r < ROWS; r++)                                                                   \
            for (int v = 0; v < 4; v++) acc[r][v] = vdupq_n_f32(0.0f);                                   \
        float padded[16] = {0};                                                                          \
        for (int p = 0; p < k; p++) {                                                                    \
            const float *row = b + (long)p * ldb;                                                        \
            if (width < 16) row = (const float *)memcpy(padded, row, sizeof(float) * (size_t)width);     \
            float32x4_t b0 = vld1q_f32(row), b1 = vld1q_f32(row + 4);                                    \
            float32x4_t b2 = vld1q_f32(row + 8), b3 = vld1q_f32(row + 12);                               \
            for (int r = 0; r < ROWS; r++) {                                                             \
                float x = a[(long)r * lda + p];                                                          \
                acc[r][0] = vfmaq_n_f32(acc[r][0], b0, x);                                               \
                acc[r][1] = vfmaq_n_f32(acc[r][1], b1, x);                                               \
                acc[r][2] = vfmaq_n_f32(acc[r][2], b2, x);                                               \
                acc[r][3] = vfmaq_n_f32(acc[r][3], b3, x);                                               \
            }                                                                                            \
        }                                                                                                \
        for (int r = 0; r < ROWS; r++) {                                                                 \
            float out[16];                                                                               \
            for (int v = 0; v < 4; v++) vst1q_f32(out + 4 * v, acc[r][v]);                               \
            memcpy(c + (long)r * ldc, out, sizeof(float) * (size_t)width);                               \
        }                                                                                                \
    }

KERNEL(1)
KERNEL(2)
KERNEL(3)
KERNEL(4)
KERNEL(5)
KERNEL(6)

typedef void (*kernel_fn)(int, const float *, int, const float *, int, float *, int, int);
static kernel_fn const kernels[7] = {0, kernel_1, kernel_2, kernel_3, kernel_4, kernel_5, kernel_6};

// Columns of B from `strip` (width ≤ 16, ldb apart per row) for every block
// of 6 rows.
static void run_columns(int m, int k, const float *a, int lda, const float *strip, int ldb, float *c, int ldc,
                        int width) {
    for (int m0 = 0; m0 < m; m0 += 6) {
        int rows = m - m0 < 6 ? m - m0 : 6;
        kernels[rows](k, a + (long)m0 * lda, lda, strip, ldb, c + (long)m0 * ldc, ldc, width);
    }
}

int md_sgemm_strips_neon(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                         int packed) {
    for (int n0 = 0; n0 < n; n0 += 16) {
        int width = n - n0 < 16 ? n - n0 : 16;
        const float *strip = packed ? b + (long)(n0 / 32) * 32 * k + n0 % 32 : b + n0;
        run_columns(m, k, a, lda, strip, packed ? 32 : ldb, c + n0, ldc, width);
    }
    return 1;
}
#endif
