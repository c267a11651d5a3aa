// The per-tier bodies of md_sgemm_strips / md_sgemm_packed_strips (internal
// to the micro-kernels). m, n > 0; with `packed`, B is in strips of 32
// columns (ldb = 32), else row-major with leading dimension ldb.
#ifndef MD_SGEMM_STRIPS_H
#define MD_SGEMM_STRIPS_H

// Rows of the next block of an AVX2 kernel whose blocks hold at most 6 rows
// (6 rows × 2 ymm accumulators of the 16 registers), given the rows `left`:
// blocks of 6, except that a remainder of 1 or 2 borrows a block of 6 to make
// 4 + 3 or 4 + 4. The channel counts of real networks (multiples of 8) would
// otherwise end on a 2-row block at a third of the kernel's rate (the
// segmenter's 32-channel layers lost ~50% in the strips kernel).
static inline int avx2_block_rows(int left) {
    if (left == 7 || left == 8) return 4;
    return left < 6 ? left : 6;
}

#if defined(__x86_64__)
#include <immintrin.h>

// Every 16 steps of the k loop, asks for the A (weights) floats that rows
// 0 … ROWS−1 reach 128 steps later. A large layer's weights come from
// memory once per GEMM, and the hardware prefetcher, which follows ROWS
// streams at once, kept the FMAs waiting: generator-256's up.5 on F(4×4,
// 2×2) (100 GEMMs of 128 × 512 weights times 32 columns, one thread,
// avx512) spent 4.52 ms in its GEMMs without this and 3.37 with it. In
// whole models (MEDAUG_PROFILE=1, 2 threads, alternating processes) it
// ranged from no change (generator-256 on a quiet host, and on the avx2
// tier) to 3% (segmenter-256, 32.0 → 31.1 ms) and 0.5–2 ms on
// generator-256 in the host's slower state (docs/design.md §3.6). Only
// loads move, so the results are the same bits (`cmp` of both models'
// outputs on avx512 and avx2).
#define PREFETCH_A(ROWS, a, lda, p)                                                              \
    if (((p) & 15) == 0) {                                                                         \
        for (int r = 0; r < (ROWS); r++) _mm_prefetch((const char *)((a) + (long)r * (lda) + (p) + 128), _MM_HINT_T0); \
    }
#endif

void md_sgemm_strips_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                          int ldc, int packed);
int md_sgemm_strips_neon(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                         int packed);

#endif
