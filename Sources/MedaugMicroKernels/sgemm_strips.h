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

void md_sgemm_strips_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                          int ldc, int packed);
int md_sgemm_strips_neon(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                         int packed);

#endif
