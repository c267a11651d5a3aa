// Winograd F(4×4, 3×3): what winograd_f43.c's band driver and the per-tier
// transforms (winograd_f43.c for AVX-512, winograd_f43_avx2.c,
// winograd_f43_neon.c) share. Internal to the micro-kernels.
//
// A tile is 6×6 input pixels giving 4×4 output pixels. A quad's input
// (winograd_quads.h) is 6 rows of 18 columns (from one row and one column
// before the output, padding 1).
#ifndef MD_WINOGRAD_F43_H
#define MD_WINOGRAD_F43_H

#include "winograd_quads.h"

// A tier's transforms are a winograd_quad_input_block (winograd_quads.h)
// over the 6×18 input of each quad, writing the 36 points ξ of V = Bᵀ d B,
// and a winograd_quad_output_block.

#if defined(__x86_64__)
void md_winograd_f43_input_avx2(const float *const in[4], const long in_stride[4], float *v, long xi_stride);
void md_winograd_f43_output_avx2(const float *m, long xi_stride, float *const out[4], const long out_stride[4],
                                 float bias, int activation, float slope);
#endif
#if defined(__aarch64__)
void md_winograd_f43_input_neon(const float *const in[4], const long in_stride[4], float *v, long xi_stride);
void md_winograd_f43_output_neon(const float *m, long xi_stride, float *const out[4], const long out_stride[4],
                                 float bias, int activation, float slope);
#endif

#endif
