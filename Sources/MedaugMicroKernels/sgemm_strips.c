// The strips GEMM, AVX-512 tier, and the entry points that dispatch on the
// CPU tier (the AVX2 tier is sgemm_strips_avx2.c). Every tier computes each
// element of C as one fused multiply-add chain over p = 0..k-1 in order,
// so results are bitwise the same on every tier and whatever the columns
// beside an element (Gemm.multiplyColumnExact relies on it).
#include "md_microkernels.h"
#include "sgemm_strips.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

// ROWS rows of C × 32 columns, the whole k loop in registers
// (2·ROWS accumulators of 16 floats; ROWS = 8 leaves room for the two B
// loads and the broadcast among the 32 zmm registers, and divides the
// channel counts of real networks). `mask0`/`mask1`
// select the valid columns of a partial strip.
#define KERNEL(ROWS)                                                                       \
    static TARGET void kernel_##ROWS(int k, const float *a, int lda, const float *b,       \
                                     int ldb, float *c, int ldc, __mmask16 mask0,          \
                                     __mmask16 mask1) {                                    \
        __m512 acc0[ROWS], acc1[ROWS];                                                     \
        for (int r = 0; r < ROWS; r++) {                                                   \
            acc0[r] = _mm512_setzero_ps();                                                 \
            acc1[r] = _mm512_setzero_ps();                                                 \
        }                                                                                  \
        for (int p = 0; p < k; p++) {                                                      \
            PREFETCH_A(ROWS, a, lda, p)                                                    \
            const float *row = b + (long)p * ldb;                                          \
            __m512 b0 = _mm512_maskz_loadu_ps(mask0, row);                                 \
            __m512 b1 = _mm512_maskz_loadu_ps(mask1, row + 16);                            \
            for (int r = 0; r < ROWS; r++) {                                               \
                __m512 x = _mm512_set1_ps(a[(long)r * lda + p]);                           \
                acc0[r] = _mm512_fmadd_ps(x, b0, acc0[r]);                                 \
                acc1[r] = _mm512_fmadd_ps(x, b1, acc1[r]);                                 \
            }                                                                              \
        }                                                                                  \
        for (int r = 0; r < ROWS; r++) {                                                   \
            _mm512_mask_storeu_ps(c + (long)r * ldc, mask0, acc0[r]);                      \
            _mm512_mask_storeu_ps(c + (long)r * ldc + 16, mask1, acc1[r]);                 \
        }                                                                                  \
    }

// The same for a strip of at most 16 columns (one vector): half the FMAs of
// KERNEL, none of them on empty lanes. With one FMA per broadcast the loop is
// bound by loads instead of FMAs, which doubles the rate at which a narrow
// product (a deep layer's few pixels at batch 1) streams A, the weights.
#define NARROW_KERNEL(ROWS)                                                                \
    static TARGET void narrow_##ROWS(int k, const float *a, int lda, const float *b,       \
                                     int ldb, float *c, int ldc, __mmask16 mask0,          \
                                     __mmask16 mask1) {                                    \
        (void)mask1;                                                                       \
        __m512 acc[ROWS];                                                                  \
        for (int r = 0; r < ROWS; r++) acc[r] = _mm512_setzero_ps();                       \
        for (int p = 0; p < k; p++) {                                                      \
            PREFETCH_A(ROWS, a, lda, p)                                                    \
            __m512 b0 = _mm512_maskz_loadu_ps(mask0, b + (long)p * ldb);                   \
            for (int r = 0; r < ROWS; r++) {                                               \
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[(long)r * lda + p]), b0, acc[r]); \
            }                                                                              \
        }                                                                                  \
        for (int r = 0; r < ROWS; r++) _mm512_mask_storeu_ps(c + (long)r * ldc, mask0, acc[r]); \
    }

KERNEL(8)
KERNEL(7)
KERNEL(6)
KERNEL(5)
KERNEL(4)
KERNEL(3)
KERNEL(2)
KERNEL(1)

NARROW_KERNEL(8)
NARROW_KERNEL(7)
NARROW_KERNEL(6)
NARROW_KERNEL(5)
NARROW_KERNEL(4)
NARROW_KERNEL(3)
NARROW_KERNEL(2)
NARROW_KERNEL(1)

typedef void (*kernel_fn)(int, const float *, int, const float *, int, float *, int, __mmask16, __mmask16);
static kernel_fn const kernels[9] = {0, kernel_1, kernel_2, kernel_3, kernel_4, kernel_5, kernel_6, kernel_7, kernel_8};
static kernel_fn const narrow_kernels[9] = {0, narrow_1, narrow_2, narrow_3, narrow_4,
                                            narrow_5, narrow_6, narrow_7, narrow_8};

static TARGET void sgemm_strips_avx512(int m, int n, int k, const float *a, int lda,
                                       const float *b, int ldb, float *c, int ldc, int packed) {
    for (int n0 = 0; n0 < n; n0 += 32) {
        int width = n - n0 < 32 ? n - n0 : 32;
        __mmask16 mask0 = width >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << width) - 1);
        __mmask16 mask1 = width <= 16 ? 0 : width >= 32 ? (__mmask16)0xFFFF : (__mmask16)((1u << (width - 16)) - 1);
        // The strip b[:, n0:n0+32] is reused by every row block below.
        for (int m0 = 0; m0 < m; m0 += 8) {
            int rows = m - m0 < 8 ? m - m0 : 8;
            const float *strip = packed ? b + (long)n0 * k : b + n0;
            kernel_fn kernel = width <= 16 ? narrow_kernels[rows] : kernels[rows];
            kernel(k, a + (long)m0 * lda, lda, strip, packed ? 32 : ldb, c + (long)m0 * ldc + n0, ldc, mask0, mask1);
        }
    }
}

#endif

// packed: B in strips of 32 columns (md_sgemm_packed_strips), else row-major.
static int sgemm_strips(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                        int ldc, int packed) {
    int tier = md_cpu_tier();
    if (tier != MD_CPU_GENERIC) md_count_run(MD_FAMILY_STRIPS, tier);
    switch (tier) {
#if defined(__x86_64__)
    case MD_CPU_AVX512:
        if (m > 0 && n > 0) sgemm_strips_avx512(m, n, k, a, lda, b, ldb, c, ldc, packed);
        return 1;
    case MD_CPU_AVX2:
        if (m > 0 && n > 0) md_sgemm_strips_avx2(m, n, k, a, lda, b, ldb, c, ldc, packed);
        return 1;
#endif
#if defined(__aarch64__)
    case MD_CPU_NEON:
        if (m > 0 && n > 0) md_sgemm_strips_neon(m, n, k, a, lda, b, ldb, c, ldc, packed);
        return 1;
#endif
    default:
        return 0;
    }
}

int md_sgemm_strips(int m, int n, int k, const float *a, int lda,
                    const float *b, int ldb, float *c, int ldc) {
    return sgemm_strips(m, n, k, a, lda, b, ldb, c, ldc, 0);
}

int md_sgemm_packed_strips(int m, int n, int k, const float *a, int lda,
                           const float *b, float *c, int ldc) {
    return sgemm_strips(m, n, k, a, lda, b, 32, c, ldc, 1);
}
