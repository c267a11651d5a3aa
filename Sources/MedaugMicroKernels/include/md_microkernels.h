// medaug's own SIMD micro-kernels: the loops where OpenBLAS's general GEMM
// or the compiler's code loses to a kernel shaped for convolution tiles,
// activations and the warp. One file per kernel family and instruction set
// (ncnn's layout): FAMILY.c holds the entry points below, which dispatch on
// md_cpu_tier() (md_cpu.h), and the AVX-512 code; FAMILY_avx2.c and
// FAMILY_neon.c the other tiers, x86 code compiled per function with
// __attribute__((target)) and guarded by __x86_64__, NEON by __aarch64__.
// An entry point with no code for the tier in use returns 0 without
// touching its outputs, so the caller takes the portable path. Internal to
// medaug (prefix md_): the C library exports none of this.
#ifndef MD_MICROKERNELS_H
#define MD_MICROKERNELS_H

#include "md_cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

// Kernel families, for md_kernel_runs.
#define MD_FAMILY_STRIPS 0      // md_sgemm_strips, md_sgemm_packed_strips
#define MD_FAMILY_DIRECT 1      // md_conv_direct_stride1
#define MD_FAMILY_WINOGRAD 2    // md_winograd_f23
#define MD_FAMILY_ACTIVATIONS 3 // md_affine_activate, md_softmax_channels
#define MD_FAMILY_WARP 4        // md_warp_bilinear
#define MD_FAMILY_STRIDED_WINOGRAD 5 // md_winograd_f22_conv, md_winograd_f22_transposed
#define MD_FAMILY_WINOGRAD_F43 6 // md_winograd_f43
#define MD_FAMILY_OPTIMIZER 7   // md_adam_update
#define MD_FAMILY_PANELS 8      // md_sgemm_panels
#define MD_FAMILY_STRIDED_WINOGRAD_F42 9 // md_winograd_f42_conv, md_winograd_f42_transposed
#define MD_FAMILY_DIRECT_WEIGHT_GRADIENT 10 // md_conv_weight_gradient_stride1
#define MD_FAMILY_BLOCKS 11     // md_sgemm_blocks
#define MD_FAMILY_COUNT 12

// How many times a kernel of `family` ran with the code of `tier` (MD_CPU_*)
// in this process: tests check that a forced tier's code really ran.
long md_kernel_runs(int family, int tier);
// Counts one run (called by the kernels' entry points).
void md_count_run(int family, int tier);

// C[m×n] = A[m×k]·B[k×n] (row-major, leading dimensions lda, ldb, ldc; C is
// overwritten) without packing either operand: B is read in strips of 32
// columns, which stay in L1 while every row block of A passes over them.
// Suited to convolution tiles: A = weights with few rows (output channels),
// B = an im2col tile already laid out row-major. Each element of C is one
// fused multiply-add chain over p in order, on every tier (the same bits on
// avx512, avx2 and neon). Returns 1 when it ran, 0 when the tier has no
// code for it (C untouched). Tiers: avx512, avx2, neon.
int md_sgemm_strips(int m, int n, int k, const float *a, int lda,
                        const float *b, int ldb, float *c, int ldc);

// As md_sgemm_strips, with B packed in strips: columns [32·s, 32·s+32)
// of B stored k-major at b + 32·s·k (element (p, j) at b[32·(s·k + p) + j%32]),
// the last strip zero-padded to 32 columns. Contiguous strips avoid the cache
// set conflicts of reading 32 floats per row of a wide row-major B.
int md_sgemm_packed_strips(int m, int n, int k, const float *a, int lda,
                               const float *b, float *c, int ldc);

// One Adam step's constants (the trainer's Adam.update computes them).
typedef struct {
    float weight;           // 1 − β1
    float complement;       // 1 − weight
    float beta2;            // β2
    float weight2;          // 1 − β2
    float step_size;        // lr / (1 − β1^t)
    float root_correction2; // √(1 − β2^t)
    float epsilon;          // ε
} md_adam_step;

// Adam on `count` elements, PyTorch's rounding: m ← m + weight·(g − m) when
// weight < 0.5, else g − (g − m)·complement; v ← v·β2 + (weight2·g)·g;
// p ← p − (step_size·m)/(√v / root_correction2 + ε). Each operation rounded
// to float in this order, no fused multiply-add, so every tier gives the
// bits of that scalar loop. Returns 1 when it ran, 0 when the tier has no
// code for it (nothing touched). Tiers: avx512, avx2, neon.
int md_adam_update(long count, float *p, const float *g, float *m, float *v, const md_adam_step *step);

// A (m×k, row-major, leading dimension lda) packed for md_sgemm_panels:
// panels of 16 rows, k-major, row 16·r + l at panels[(r·k + p)·16 + l], the
// last panel's missing rows zero; ⌈m/16⌉·16·k floats. Portable C.
void md_pack_panels(int m, int k, const float *a, int lda, float *panels);

// C[m×n] = A·B (C overwritten, leading dimension ldc) with A packed by
// md_pack_panels and B(p, j) at b + (j/32)·strip_stride + p·ldb + j%32
// (row-major B: ldb, strip_stride 32; packed strips: 32, 32·k). For
// products with few columns and large A (a deep layer's weights at batch 1),
// where the strips kernel is bound by broadcasting A: here A is read with
// vector loads. Each element of C is one fused multiply-add chain over p in
// order from 0, the strips kernel's: the same bits, on every tier. Rows of
// C from a panel boundary may be split over threads (a + (r0/16)·16·k,
// c + r0·ldc). Returns 1 when it ran, 0 when the tier has no code for it
// (C untouched). Tiers: avx512, avx2, neon.
int md_sgemm_panels(int m, int n, int k, const float *a, const float *b, int ldb, long strip_stride, float *c,
                    int ldc);

// Floats md_pack_blocks writes for an m×k matrix: m·k (nothing is padded).
long md_blocks_count(int m, int k);

// A (m×k) packed for md_sgemm_blocks, element (i, p) read at
// a[i·row_stride + p·column_stride] (a row-major matrix: lda, 1; the
// transpose of one: 1, ldt). The layout: row blocks of 96 rows, each in
// depth blocks of 128 steps, each in micro-panels of 6 rows stored
// step-major, in the order the kernel reads them. Portable C.
void md_pack_blocks(int m, int k, const float *a, long row_stride, long column_stride, float *packed);

// Rows [row0, row1) of C[m×n] = A·B (C overwritten, leading dimension ldc;
// row0 a multiple of 6, row1 too or m) with A packed by md_pack_blocks and
// B(p, j) at b + (j/32)·strip_stride + p·ldb + j%32, as md_sgemm_panels
// reads it. For a large A times a few dozen to a few hundred columns (the
// 8×8-pixel layers of a generator, 64 columns per image), where the panels
// kernel's vector loads of A serve too few columns each: here A is
// broadcast and each float of it serves 64 columns (AVX-512) from
// registers. Threads split the rows (row0, row1; a and c stay the whole
// matrices). Each element of C is one fused multiply-add chain over p in
// order from 0, the strips kernel's: the same bits, on every tier. Returns
// 1 when it ran, 0 when the tier has no code for it (C untouched). Tiers:
// avx512, avx2, neon.
int md_sgemm_blocks(int m, int n, int k, int row0, int row1, const float *a, const float *b, int ldb,
                    long strip_stride, float *c, int ldc);

// Stride-1 convolution of one image without im2col: output rows
// [row_begin, row_end) of all cout channels, out[co][oy][ox] =
// Σ weights[co][ci][ky][kx] · input[ci][oy+ky−pad][ox+kx−pad] (zero outside),
// input [cin][h][w], weights OIHW, output [cout][out_h][out_w]. A stride-1
// im2col block is the input row shifted by kx, so the kernel loads it
// directly. Kernel side k ≤ 7. Each output is one fused multiply-add chain
// over (ci, ky, kx) in order, the same bits on every tier. Returns 1 when it
// ran, 0 when the tier has no code for it or k is unsupported (output
// untouched). Tiers: avx512, avx2.
int md_conv_direct_stride1(int cin, int h, int w, const float *input, int cout, int k, int pad,
                               const float *weights, int out_h, int out_w, int row_begin,
                               int row_end, float *output);

// A stride-1 convolution's weight gradient for one image, added in:
// grad_weights[co][ci][ky][kx] += Σ over (oy, ox) of
// grad_output[co][oy][ox] · input[ci][oy+ky−pad][ox+kx−pad] (zero outside),
// for input channels [c_begin, c_end) and all cout output channels;
// input [cin][h][w], grad_output [cout][out_h][out_w], grad_weights OIHW.
// Like md_conv_direct_stride1 it reads the shifted input rows in place, so
// there is no im2col and nothing is packed. Each sum runs in vector lanes
// over rows and strips in a fixed order and is then reduced across its
// lanes, so its bits do not depend on how callers split the channels.
// Kernel side k ≤ 7. Returns 1 when it ran, 0 when the tier has no code for
// it or k is unsupported (grad_weights untouched). Tiers: avx512.
int md_conv_weight_gradient_stride1(int cin, int h, int w, const float *input, int cout, int k, int pad,
                                    const float *grad_output, int out_h, int out_w, int c_begin, int c_end,
                                    float *grad_weights);

// Activation codes: the first three are applied by the Winograd kernels at
// their store, tanh and sigmoid by md_affine_activate.
#define MD_ACTIVATION_NONE 0
#define MD_ACTIVATION_RELU 1
#define MD_ACTIVATION_LEAKY_RELU 2
#define MD_ACTIVATION_TANH 3
#define MD_ACTIVATION_SIGMOID 4

// data[i] = act(data[i]·scale + shift) for act = MD_ACTIVATION_TANH or
// _SIGMOID, vectorised (exp by range reduction and a polynomial: within
// ~2e-7 of the correctly rounded value; NaN stays NaN). Returns 1 when it
// ran, 0 when the tier has no code for it or the activation is another
// one. Tiers: avx512, avx2, neon.
int md_affine_activate(float *data, long count, float scale, float shift, int activation);

// Softmax over `channels` planes `stride` floats apart, for `pixels`
// pixels, max-subtracted, vectorised over pixels. Returns 1 when it ran, 0
// when the tier has no code for it. Tiers: avx512, avx2, neon.
int md_softmax_channels(float *data, int channels, long pixels, long stride);

// Floats of scratch the F(2×2, 3×3) kernel needs for a band of `tile_rows`
// tile rows (2 output rows each) of a `w`-wide image.
long md_winograd_f23_scratch(int cin, int cout, int w, int tile_rows);

// One layer of one image for the Winograd kernels below: input
// [cin][h][w]; u = the transformed weights; output [cout][out_h][out_w]
// (set by the kernel from h and w); then, per output element, + bias[co]
// (when bias is not NULL) and the activation (MD_ACTIVATION_*; `slope`
// for leaky ReLU).
typedef struct {
    int cin, h, w, cout;
    const float *input, *u, *bias;
    float *output;
    int activation;
    float slope;
} md_winograd_layer;

// The steps of a band: transform the input tiles of input channels
// [begin, end) into scratch; multiply them for output channels [begin, end)
// (multiples of 8 except at cout); transform back and store output channels
// [begin, end). MD_WINOGRAD_ALL runs the three over every channel.
// Different ranges of one step may run concurrently on one scratch; the
// steps of a band must run in order.
#define MD_WINOGRAD_ALL 0
#define MD_WINOGRAD_INPUT 1
#define MD_WINOGRAD_MULTIPLY 2
#define MD_WINOGRAD_OUTPUT 3

// 3×3, stride 1, padding 1 convolution of one image by Winograd's F(2×2,
// 3×3), band of tile rows [tile_row_begin, tile_row_end) = output rows
// [2·tile_row_begin, 2·tile_row_end) ∩ [0, h); u = U[16][cout][cin] (see
// Winograd.transformWeights). `scratch` holds md_winograd_f23_scratch(
// cin, cout, w, tile_row_end − tile_row_begin) floats (64-byte aligned is
// fastest); concurrent bands need their own. Returns 1 when it ran, 0 when
// the tier has no code for it (output untouched). Tiers: avx512, avx2, neon.
int md_winograd_f23(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end,
                        int begin, int end, float *scratch);

// Floats of scratch the F(4×4, 3×3) kernel needs for a band of `tile_rows`
// tile rows (4 output rows each) of a `w`-wide image.
long md_winograd_f43_scratch(int cin, int cout, int w, int tile_rows);

// The same convolution by F(4×4, 3×3) (winograd_f43.c): band of tile rows
// [tile_row_begin, tile_row_end) = output rows [4·tile_row_begin,
// 4·tile_row_end) ∩ [0, h); u = U[36][cout][cin] (WinogradF43.
// transformWeights). Steps, ranges, scratch and the return value as for
// md_winograd_f23. Tiers: avx512, avx2, neon.
int md_winograd_f43(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end,
                    int begin, int end, float *scratch);

// Winograd F(2×2, 2×2) for the 4×4 stride-2 padding-1 layers of pix2pix
// (winograd_f22.c explains the split into 2-tap correlations). Weights:
// md_winograd_f22_conv_weights turns OIHW cout×cin×4×4 weights into
// U[9][cout][4·cin]; md_winograd_f22_transposed_weights turns IOHW
// cin×cout×4×4 weights into U[4][9][cout][cin]; `u` holds 36·cin·cout floats.
// The `_rows` forms write the rows of output channels [o_begin, o_end)
// only, so that threads can share a transform (winograd_weights.c).
void md_winograd_f22_conv_weights(int cin, int cout, const float *weights, float *u);
void md_winograd_f22_transposed_weights(int cin, int cout, const float *weights, float *u);
void md_winograd_f22_conv_weights_rows(int cin, int cout, int o_begin, int o_end, const float *weights, float *u);
void md_winograd_f22_transposed_weights_rows(int cin, int cout, int o_begin, int o_end, const float *weights,
                                             float *u);

// Scratch floats for a band of `tile_rows` tile rows: for the convolution,
// of an output `out_w` wide (a tile row is 2 output rows); for the transposed
// convolution, of an input `w` wide (a tile row is 2 input rows, 4 output
// rows).
long md_winograd_f22_conv_scratch(int cin, int cout, int out_w, int tile_rows);
long md_winograd_f22_transposed_scratch(int cin, int cout, int w, int tile_rows);

// Convolution (kernel 4, stride 2, padding 1) of one image [cin][h][w] into
// [cout][h/2][w/2], output rows [2·tile_row_begin, 2·tile_row_end) ∩ [0, h/2);
// transposed convolution of one image [cin][h][w] into [cout][2h][2w],
// output rows [4·tile_row_begin, 4·tile_row_end) ∩ [0, 2h). Steps, ranges,
// scratch and the return value as for md_winograd_f23.
int md_winograd_f22_conv(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end,
                             int begin, int end, float *scratch);
int md_winograd_f22_transposed(const md_winograd_layer *layer, int step, int tile_row_begin,
                                   int tile_row_end, int begin, int end, float *scratch);

// The same layers by Winograd F(4×4, 2×2) (winograd_f42.c). Weights:
// md_winograd_f42_conv_weights turns OIHW cout×cin×4×4 weights into
// U[25][cout][4·cin], md_winograd_f42_transposed_weights turns IOHW
// cin×cout×4×4 weights into U[4][25][cout][cin]; `u` holds 100·cin·cout
// floats. A tile row is 4 output rows of the convolution (scratch for an
// output `out_w` wide) and 4 input rows, 8 output rows, of the transposed
// convolution (scratch for an input `w` wide). md_winograd_f42_conv computes
// output rows [4·tile_row_begin, 4·tile_row_end) ∩ [0, h/2),
// md_winograd_f42_transposed [8·tile_row_begin, 8·tile_row_end) ∩ [0, 2h).
// Steps, ranges, scratch and the return value as for md_winograd_f23.
// Tiers: avx512, avx2, neon.
void md_winograd_f42_conv_weights(int cin, int cout, const float *weights, float *u);
void md_winograd_f42_transposed_weights(int cin, int cout, const float *weights, float *u);
void md_winograd_f42_conv_weights_rows(int cin, int cout, int o_begin, int o_end, const float *weights, float *u);
void md_winograd_f42_transposed_weights_rows(int cin, int cout, int o_begin, int o_end, const float *weights,
                                             float *u);
long md_winograd_f42_conv_scratch(int cin, int cout, int out_w, int tile_rows);
long md_winograd_f42_transposed_scratch(int cin, int cout, int w, int tile_rows);
int md_winograd_f42_conv(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end,
                         int begin, int end, float *scratch);
int md_winograd_f42_transposed(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end,
                               int begin, int end, float *scratch);

// Bilinear resampling of `count` output pixels (one output row) of an image
// with `channels` planes of h×w floats (plane = h·w) and its int32 mask:
// pixel x reads source position (rows[x], cols[x]) (row, column, pixels).
// Pixels whose four bilinear taps all lie inside the image are written to
// dst[ch·plane + x] and dst_mask[x] (nearest neighbour, halves rounded up);
// the others are left untouched and flagged in outside[x / 16] bit x % 16,
// for the caller's border handling. With `constant_border` set, every pixel
// is written instead: taps outside the image read `border_value` and a
// nearest label outside reads `mask_fill` (no flags are set). Returns 1 when
// it ran, 0 when the tier has no code for it (tiers: avx512, avx2, neon, all
// giving the same bits as the scalar path) or the image is smaller than 2×2
// (nothing written).
int md_warp_bilinear(const float *src, int channels, int h, int w, const int *src_mask,
                         const float *rows, const float *cols, int count, float *dst, int *dst_mask,
                         long plane, unsigned short *outside, int constant_border, float border_value,
                         int mask_fill);

#ifdef __cplusplus
}
#endif
#endif
