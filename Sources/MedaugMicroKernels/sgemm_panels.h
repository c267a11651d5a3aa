// The per-tier bodies of md_sgemm_panels (internal to the micro-kernels):
// m, n, k > 0, A in panels of 16 rows, B(p, j) at
// b + (j / 32)·strip_stride + p·ldb + j % 32, C overwritten.
#ifndef MD_SGEMM_PANELS_H
#define MD_SGEMM_PANELS_H

// Columns of C one pass of a tile keeps in registers, and the depth of A a
// k block covers when the columns take more than one pass (A's block then
// stays in L2 between passes).
#define PANELS_COLUMNS 6
#define PANELS_DEPTH_BLOCK 512

// B(p, j) as the entry point defines it.
static inline const float *panels_b(const float *b, int ldb, long strip_stride, int p, int j) {
    return b + (long)(j / 32) * strip_stride + (long)p * ldb + j % 32;
}

// The column blocks of a pass: at most PANELS_COLUMNS columns, never across
// a strip of 32 (so one block's columns are contiguous in B's rows).
static inline int panels_block_width(int j0, int n) {
    int width = n - j0 < PANELS_COLUMNS ? n - j0 : PANELS_COLUMNS;
    int strip_end = (j0 / 32 + 1) * 32;
    return j0 + width > strip_end ? strip_end - j0 : width;
}

void md_sgemm_panels_avx2(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                          float *c, int ldc);
void md_sgemm_panels_neon(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                          float *c, int ldc);

#endif
