// The per-tier bodies of md_sgemm_panels (internal to the micro-kernels):
// m, n, k > 0, A in panels of 16 rows, B(p, j) at
// b + (j / 32)·strip_stride + p·ldb + j % 32, C overwritten.
#ifndef MD_SGEMM_PANELS_H
#define MD_SGEMM_PANELS_H

// Columns of C one pass of a tile keeps in registers; columns of a chunk,
// whose partial sums wait between k blocks in a stack buffer laid out like
// the panels (PANELS_CHUNK × 16 floats per panel: vector loads and stores);
// and the depth of a k block (A's block stays in L2 while the chunk's
// column blocks pass over it).
#define PANELS_COLUMNS 6
#define PANELS_CHUNK 64
#define PANELS_DEPTH_BLOCK 512

// B(p, j) as the entry point defines it.
static inline const float *panels_b(const float *b, int ldb, long strip_stride, int p, int j) {
    return b + (long)(j / 32) * strip_stride + (long)p * ldb + j % 32;
}

// The column blocks of a pass: at most PANELS_COLUMNS columns, never across
// a strip of 32 (so one block's columns are contiguous in B's rows); `n` is
// the end of the chunk.
static inline int panels_block_width(int j0, int n) {
    int width = n - j0 < PANELS_COLUMNS ? n - j0 : PANELS_COLUMNS;
    int strip_end = (j0 / 32 + 1) * 32;
    return j0 + width > strip_end ? strip_end - j0 : width;
}

// Writes `count` panels' partial sums (sums[(jj·count + g)·16 + l] for
// column j0 + jj of the chunk) to C's `rows` rows.
static inline void panels_store(const float *sums, int count, int rows, int j0, int width, float *c, int ldc) {
    for (int jj = 0; jj < width; jj++) {
        for (int g = 0; g < count; g++) {
            for (int l = 0; l < 16 && 16 * g + l < rows; l++) c[(long)(16 * g + l) * ldc + j0 + jj] = sums[(jj * count + g) * 16 + l];
        }
    }
}

void md_sgemm_panels_avx2(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                          float *c, int ldc);
void md_sgemm_panels_neon(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride,
                          float *c, int ldc);

#endif
