// Winograd F(4×4, 3×3): what winograd_f43.c's band driver and the per-tier
// transforms (winograd_f43.c for AVX-512, winograd_f43_avx2.c,
// winograd_f43_neon.c) share. Internal to the micro-kernels.
//
// A tile is 6×6 input pixels giving 4×4 output pixels. Tiles come in
// "quads": 4 consecutive tiles of one tile row, 16 output columns, whose
// input is 6 rows of 18 columns (from one row and one column before the
// output, padding 1). Four quads make a "block", the 16 GEMM columns a
// tier transforms at once. The quads of a band are numbered row by row,
// quad q being block q / 4's quad q % 4; within a block the tier chooses the
// order of its 16 columns (the order its in-register transposes give) and
// its output step reads them back in the same order. The GEMMs compute every
// column alike, so the order does not change any result.
#ifndef MD_WINOGRAD_F43_H
#define MD_WINOGRAD_F43_H

#include "winograd_common.h"

// Transforms one input channel's block: quad i's 6×18 input starts at
// in[i] with rows in_stride[i] floats apart (zeros for pixels outside the
// image are already in place), V[ξ] = Bᵀ d B of its 36 points ξ is written
// to the block's 16 columns at v + ξ·xi_stride.
typedef void (*winograd_f43_input_block)(const float *const in[4], const long in_stride[4], float *v,
                                         long xi_stride);

// Transforms one output channel's block back: M[ξ] at m + ξ·xi_stride (16
// columns each), Y = Aᵀ M A + bias, the activation (MD_ACTIVATION_NONE,
// _RELU or _LEAKY_RELU with `slope`), then quad i's 4×16 output pixels to
// out[i], rows out_stride[i] floats apart.
typedef void (*winograd_f43_output_block)(const float *m, long xi_stride, float *const out[4],
                                          const long out_stride[4], float bias, int activation, float slope);

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
