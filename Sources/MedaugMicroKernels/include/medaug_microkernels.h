// medaug's own SIMD micro-kernels: the few loops where OpenBLAS's general
// GEMM loses to a kernel shaped for convolution tiles. Each entry point checks
// the CPU at run time and returns 0 when it cannot run there, so the caller
// falls back to OpenBLAS; nothing here assumes an instruction set at compile
// time.
#ifndef MEDAUG_MICROKERNELS_H
#define MEDAUG_MICROKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

// 1 when the CPU (and OS) support the AVX-512F kernels below, else 0.
int medaug_microkernels_available(void);

// C[m×n] = A[m×k]·B[k×n] (row-major, leading dimensions lda, ldb, ldc; C is
// overwritten) without packing either operand: B is read in strips of 32
// columns, which stay in L1 while every row block of A passes over them.
// Suited to convolution tiles: A = weights with few rows (output channels),
// B = an im2col tile already laid out row-major. Returns 1 when it ran,
// 0 when the CPU lacks AVX-512F (C untouched).
int medaug_sgemm_strips(int m, int n, int k, const float *a, int lda,
                        const float *b, int ldb, float *c, int ldc);

// As medaug_sgemm_strips, with B packed in strips: columns [32·s, 32·s+32)
// of B stored k-major at b + 32·s·k (element (p, j) at b[32·(s·k + p) + j%32]),
// the last strip zero-padded to 32 columns. Contiguous strips avoid the cache
// set conflicts of reading 32 floats per row of a wide row-major B.
int medaug_sgemm_packed_strips(int m, int n, int k, const float *a, int lda,
                               const float *b, float *c, int ldc);

// Stride-1 convolution of one image without im2col: output rows
// [row_begin, row_end) of all cout channels, out[co][oy][ox] =
// Σ weights[co][ci][ky][kx] · input[ci][oy+ky−pad][ox+kx−pad] (zero outside),
// input [cin][h][w], weights OIHW, output [cout][out_h][out_w]. A stride-1
// im2col block is the input row shifted by kx, so the kernel loads it
// directly. Kernel side k ≤ 7. Returns 1 when it ran, 0 when the CPU lacks
// AVX-512F or k is unsupported (output untouched).
int medaug_conv_direct_stride1(int cin, int h, int w, const float *input, int cout, int k, int pad,
                               const float *weights, int out_h, int out_w, int row_begin,
                               int row_end, float *output);

#ifdef __cplusplus
}
#endif
#endif
