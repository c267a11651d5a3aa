// The strips GEMM, AVX2 + FMA tier (16 ymm registers of 8 floats).
//
// A block of 6 rows of C × 16 columns keeps 12 accumulators, two B vectors
// and one broadcast of A in registers: the shape of BLIS's Haswell sgemm
// kernel. Each element of C is one FMA chain over p = 0..k-1 in order, as
// in the AVX-512 tier, so both give the same bits. A packed strip of 32
// columns is run as two halves of 16 (stride 32 floats per p).
#include "md_microkernels.h"
#include "sgemm_strips.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// Lane masks for 0..8 valid columns of one vector.
static const int lane_masks[9][8] = {
    {0, 0, 0, 0, 0, 0, 0, 0},         {-1, 0, 0, 0, 0, 0, 0, 0},         {-1, -1, 0, 0, 0, 0, 0, 0},
    {-1, -1, -1, 0, 0, 0, 0, 0},      {-1, -1, -1, -1, 0, 0, 0, 0},      {-1, -1, -1, -1, -1, 0, 0, 0},
    {-1, -1, -1, -1, -1, -1, 0, 0},   {-1, -1, -1, -1, -1, -1, -1, 0},   {-1, -1, -1, -1, -1, -1, -1, -1},
};

// One step p of the k loop: ROWS broadcasts of A times the B vectors b0, b1
// (and A's prefetch, sgemm_strips.h).
#define FMA_STEP(ROWS, VECS, p, b0, b1)                                                   \
    PREFETCH_A(ROWS, a, lda, p)                                                           \
    for (int r = 0; r < ROWS; r++) {                                                      \
        __m256 x = _mm256_broadcast_ss(a + (long)r * lda + (p));                          \
        acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);                                    \
        if (VECS > 1) acc[r][VECS - 1] = _mm256_fmadd_ps(x, b1, acc[r][VECS - 1]);        \
    }

// ROWS rows × VECS vectors of 8 columns. `full`: every column valid (plain
// loads and stores); else `mask0`/`mask1` select the valid ones.
#define KERNEL(ROWS, VECS)                                                                           \
    static TARGET void kernel_##ROWS##_##VECS(int k, const float *a, int lda, const float *b, int ldb, \
                                              float *c, int ldc, int full, __m256i mask0,             \
                                              __m256i mask1) {                                        \
        __m256 acc[ROWS][VECS];                                                                       \
        for (int r = 0; r < ROWS; r++)                                                                \
            for (int v = 0; v < VECS; v++) acc[r][v] = _mm256_setzero_ps();                           \
        if (full) {                                                                                   \
            for (int p = 0; p < k; p++) {                                                             \
                const float *row = b + (long)p * ldb;                                                 \
                __m256 b0 = _mm256_loadu_ps(row), b1 = VECS > 1 ? _mm256_loadu_ps(row + 8) : b0;      \
                FMA_STEP(ROWS, VECS, p, b0, b1)                                                       \
            }                                                                                         \
            for (int r = 0; r < ROWS; r++)                                                            \
                for (int v = 0; v < VECS; v++) _mm256_storeu_ps(c + (long)r * ldc + 8 * v, acc[r][v]);  \
            return;                                                                                   \
        }                                                                                             \
        for (int p = 0; p < k; p++) {                                                                 \
            const float *row = b + (long)p * ldb;                                                     \
            __m256 b0 = _mm256_maskload_ps(row, mask0);                                               \
            __m256 b1 = VECS > 1 ? _mm256_maskload_ps(row + 8, mask1) : b0;                           \
            FMA_STEP(ROWS, VECS, p, b0, b1)                                                           \
        }                                                                                             \
        for (int r = 0; r < ROWS; r++) {                                                              \
            _mm256_maskstore_ps(c + (long)r * ldc, mask0, acc[r][0]);                                 \
            if (VECS > 1) _mm256_maskstore_ps(c + (long)r * ldc + 8, mask1, acc[r][VECS - 1]);        \
        }                                                                                             \
    }

KERNEL(1, 1)
KERNEL(2, 1)
KERNEL(3, 1)
KERNEL(4, 1)
KERNEL(5, 1)
KERNEL(6, 1)
KERNEL(1, 2)
KERNEL(2, 2)
KERNEL(3, 2)
KERNEL(4, 2)
KERNEL(5, 2)
KERNEL(6, 2)

typedef void (*kernel_fn)(int, const float *, int, const float *, int, float *, int, int, __m256i, __m256i);
static kernel_fn const kernels[3][7] = {
    {0},
    {0, kernel_1_1, kernel_2_1, kernel_3_1, kernel_4_1, kernel_5_1, kernel_6_1},
    {0, kernel_1_2, kernel_2_2, kernel_3_2, kernel_4_2, kernel_5_2, kernel_6_2},
};

// Columns [n0, n0 + width) (width ≤ 16) of B starting at `strip`, for every
// row block of 6.
static TARGET void run_columns(int m, int k, const float *a, int lda, const float *strip, int ldb, float *c,
                               int ldc, int width) {
    int vecs = width > 8 ? 2 : 1;
    __m256i mask0 = _mm256_loadu_si256((const __m256i *)lane_masks[width < 8 ? width : 8]);
    __m256i mask1 = _mm256_loadu_si256((const __m256i *)lane_masks[width > 8 ? width - 8 : 0]);
    int full = width == 8 * vecs;
    for (int m0 = 0, rows; m0 < m; m0 += rows) {
        rows = avx2_block_rows(m - m0);
        kernels[vecs][rows](k, a + (long)m0 * lda, lda, strip, ldb, c + (long)m0 * ldc, ldc, full, mask0, mask1);
    }
}

void md_sgemm_strips_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                          int ldc, int packed) {
    for (int n0 = 0; n0 < n; n0 += 16) {
        int width = n - n0 < 16 ? n - n0 : 16;
        // Packed: strip n0 / 32, half (n0 % 32) / 16, rows 32 floats apart.
        const float *strip = packed ? b + (long)(n0 / 32) * 32 * k + n0 % 32 : b + n0;
        run_columns(m, k, a, lda, strip, packed ? 32 : ldb, c + n0, ldc, width);
    }
}
#endif
