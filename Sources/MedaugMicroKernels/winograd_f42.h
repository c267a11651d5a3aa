// Winograd F(4×4, 2×2) for pix2pix's 4×4 stride-2 convolutions and
// transposed convolutions: what winograd_f42.c's band drivers and the
// per-tier transforms share. Internal to the micro-kernels.
//
// The convolution is 4 parity classes (input rows and columns of one
// parity each), the transposed convolution 4 output phases, each a 2-tap
// correlation (winograd_f42.c, winograd_f22.c); F(4×4, 2×2) computes a 4×4
// tile of one from 5×5 input pixels with 25 multiply-adds per channel pair
// instead of 64 (2.56× fewer; F(2×2, 2×2) gives 1.78×). A quad's input
// (winograd_quads.h) is 5 rows of 17 columns.
#ifndef MD_WINOGRAD_F42_H
#define MD_WINOGRAD_F42_H

#include "winograd_quads.h"

// A tier's transforms are a winograd_quad_input_block (winograd_quads.h)
// over the 5×17 input of each quad, writing the 25 points ξ of V = Bᵀ d B,
// a winograd_quad_output_block for the convolution and, for the transposed
// convolution, the block below.

// Transforms one output channel's block of the two phases (py, 0) and
// (py, 1) back: M[ξ] of phase px at m + px·phase_stride + ξ·xi_stride (16
// columns each), Y = Aᵀ M A + bias, the activation (MD_ACTIVATION_NONE,
// _RELU or _LEAKY_RELU with `slope`); quad i's 4 rows of 16 tile columns
// per phase are interleaved (output column 2x + px) and stored as 4 rows of
// 32 floats at out[i], rows out_stride[i] floats apart.
typedef void (*winograd_f42_output_block)(const float *m, long xi_stride, long phase_stride, float *const out[4],
                                          const long out_stride[4], float bias, int activation, float slope);

#if defined(__x86_64__)
void md_winograd_f42_input_avx2(const float *const in[4], const long in_stride[4], float *v, long xi_stride);
void md_winograd_f42_output_avx2(const float *m, long xi_stride, long phase_stride, float *const out[4],
                                 const long out_stride[4], float bias, int activation, float slope);
void md_winograd_f42_conv_output_avx2(const float *m, long xi_stride, float *const out[4], const long out_stride[4],
                                      float bias, int activation, float slope);
#endif
#if defined(__aarch64__)
void md_winograd_f42_input_neon(const float *const in[4], const long in_stride[4], float *v, long xi_stride);
void md_winograd_f42_output_neon(const float *m, long xi_stride, long phase_stride, float *const out[4],
                                 const long out_stride[4], float bias, int activation, float slope);
void md_winograd_f42_conv_output_neon(const float *m, long xi_stride, float *const out[4], const long out_stride[4],
                                      float bias, int activation, float slope);
#endif

#endif
