// The per-tier bodies of md_sgemm_strips / md_sgemm_packed_strips (internal
// to the micro-kernels). m, n > 0; with `packed`, B is in strips of 32
// columns (ldb = 32), else row-major with leading dimension ldb.
#ifndef MD_SGEMM_STRIPS_H
#define MD_SGEMM_STRIPS_H

void md_sgemm_strips_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                          int ldc, int packed);
int md_sgemm_strips_neon(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                         int packed);

#endif
