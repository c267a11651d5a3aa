// Weight transforms of the 4×4 stride-2 padding-1 layers, F(2×2, 2×2)
// (winograd_f22.c) and F(4×4, 2×2) (winograd_f42.c): which kernel taps form
// each parity class or phase is explained there. Plain C shared by every
// tier, so every tier gets the same bits.
//
// The engine transforms a model's weights once, but the trainer transforms
// every Winograd layer's weights in every pass, since they change every
// step. So the kernels of a block of 16 input channels are first gathered
// tap-major (16 taps × 16 lanes, in L1), then G·g·Gᵀ runs on whole lanes,
// which the compiler vectorises, and each row of U receives 16 contiguous
// floats: a 512 × 256 layer in 2 ms instead of 28. The
// former loop, one kernel at a time with U's rows written a float at a
// time (and for F(4×4, 2×2) in double with divisions), took about as long
// as the pix2pix training step's convolutions it was meant to speed up
// (docs/design.md §3.6, "Winograd in training").
#include "md_microkernels.h"

#include <stdlib.h>
#include <string.h>

// No contraction of a multiply and an add into an FMA, so that every
// architecture gets the same bits (clang; GCC builds use -ffp-contract=off,
// as scripts/test-arm64 does).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define LANES 16

// Kernel taps meeting the 2 correlation points of parity class p
// (convolution) or output phase p (transposed convolution).
static const int conv_taps[2][2] = {{0, 2}, {1, 3}};
static const int transposed_taps[2][2] = {{3, 1}, {2, 0}};

// taps[t][lane] = tap t of kernel `lane` of a block of n ≤ LANES kernels,
// `stride` floats apart (lanes past n repeat kernel 0; never stored).
static void gather(const float *w, long stride, int n, float taps[16][LANES]) {
    for (int lane = 0; lane < LANES; lane++) {
        const float *k = w + (lane < n ? lane : 0) * stride;
        for (int t = 0; t < 16; t++) taps[t][lane] = k[t];
    }
}

// A whole block as one 64-byte copy (a loop to n was not vectorised: the
// F(2×2, 2×2) transforms took 1.3–2.3× as long).
static void store(float *dst, const float *lanes, int n) {
    if (n == LANES) {
        memcpy(dst, lanes, LANES * sizeof(float));
        return;
    }
    for (int lane = 0; lane < n; lane++) dst[lane] = lanes[lane];
}

// x = G·g·Gᵀ for the 2×2 kernel at rows `rows`, columns `cols` of the
// taps, one row of x per transform-domain point (9 or 25), LANES wide.
typedef void (*expand_fn)(float taps[16][LANES], const int rows[2], const int cols[2], float (*x)[LANES]);

// F(2×2, 2×2): G = [[1, 0], [1, 1], [0, 1]], x[9][LANES].
static void f22_expand(float taps[16][LANES], const int rows[2], const int cols[2], float (*x)[LANES]) {
    for (int lane = 0; lane < LANES; lane++) {
        float g00 = taps[rows[0] * 4 + cols[0]][lane], g01 = taps[rows[0] * 4 + cols[1]][lane];
        float g10 = taps[rows[1] * 4 + cols[0]][lane], g11 = taps[rows[1] * 4 + cols[1]][lane];
        float t10 = g00 + g10, t11 = g01 + g11;
        x[0][lane] = g00;
        x[1][lane] = g00 + g01;
        x[2][lane] = g01;
        x[3][lane] = t10;
        x[4][lane] = t10 + t11;
        x[5][lane] = t11;
        x[6][lane] = g10;
        x[7][lane] = g10 + g11;
        x[8][lane] = g11;
    }
}

// F(4×4, 2×2)'s G = [[½, 0], [−½, −½], [−⅙, ⅙], [⅙, ⅓], [0, 1]] applied to
// two lanes of values.
static void f42_column(const float *g0, const float *g1, float out[5][LANES]) {
    const float sixth = 1.0f / 6, third = 1.0f / 3;
    for (int lane = 0; lane < LANES; lane++) {
        float a = g0[lane], b = g1[lane];
        out[0][lane] = a * 0.5f;
        out[1][lane] = (a + b) * -0.5f;
        out[2][lane] = (b - a) * sixth;
        out[3][lane] = a * sixth + b * third;
        out[4][lane] = b;
    }
}

// F(4×4, 2×2): x[25][LANES], row r of G·g expanded into x[5r … 5r + 4].
static void f42_expand(float taps[16][LANES], const int rows[2], const int cols[2], float (*x)[LANES]) {
    float columns[2][5][LANES];
    for (int c = 0; c < 2; c++) f42_column(taps[rows[0] * 4 + cols[c]], taps[rows[1] * 4 + cols[c]], columns[c]);
    for (int r = 0; r < 5; r++) f42_column(columns[0][r], columns[1][r], x + r * 5);
}

// OIHW convolution weights into U[ξ][cout][parity·cin + i], output
// channels [o_begin, o_end), for a family of `points` points.
static void convolution_rows(expand_fn expand, int points, int cin, int cout, int o_begin, int o_end,
                             const float *weights, float *u) {
    long k = 4L * cin, plane = (long)cout * k;
    float taps[16][LANES], x[25][LANES];
    for (int o = o_begin; o < o_end; o++) {
        for (int i = 0; i < cin; i += LANES) {
            int n = cin - i < LANES ? cin - i : LANES;
            gather(weights + ((long)o * cin + i) * 16, 16, n, taps);
            for (int parity = 0; parity < 4; parity++) {
                expand(taps, conv_taps[parity / 2], conv_taps[parity % 2], x);
                for (int xi = 0; xi < points; xi++) store(u + xi * plane + o * k + parity * cin + i, x[xi], n);
            }
        }
    }
}

// One phase of the transposed transform of the kernels of input channels
// [i, i + n) for output channel o, gathered in `taps`.
static void transposed_phase(expand_fn expand, int points, long plane, int cin, int o, int i, int n, int phase,
                             float taps[16][LANES], float *u) {
    float x[25][LANES];
    expand(taps, transposed_taps[phase / 2], transposed_taps[phase % 2], x);
    for (int xi = 0; xi < points; xi++) {
        store(u + ((long)phase * points + xi) * plane + (long)o * cin + i, x[xi], n);
    }
}

// Output channels gathered at a time by `transposed_rows`.
#define TRANSPOSED_OUTPUTS 4

// IOHW transposed-convolution weights into U[phase][ξ][cout][cin], output
// channels [o_begin, o_end).
//
// In IOHW one output channel's kernels lie cout · 64 bytes apart, a page
// or more for the generator's layers, and U has 36 (F(2×2, 2×2)) or 100
// (F(4×4, 2×2)) rows per output channel: gathering one output channel's
// kernels and writing all of those rows at once missed the cache on both
// sides. The kernels of TRANSPOSED_OUTPUTS output channels and every input
// channel are gathered first (256 contiguous bytes per input channel), and
// each row of U is then written whole, a phase at a time. One thread of an
// Intel Xeon (AVX-512), old and new alternating, same bits: 512 → 128
// channels 1.84–2.01 → 1.34–1.50 ms, F(4×4, 2×2) 4.3–5.1 → 3.0–3.4;
// 256 → 128 0.93 → 0.68; 256 → 64 0.46 → 0.33; 1024 → 256 22 → 11.
// Gathering 2 or 8 output channels, or blocks of 64–256 input channels,
// was slower; so was the same reordering for `convolution_rows`, whose
// kernels are contiguous already (it gathers each one four times).
// Without memory for the gathered kernels it falls back to one at a time.
static void transposed_rows(expand_fn expand, int points, int cin, int cout, int o_begin, int o_end,
                            const float *weights, float *u) {
    long plane = (long)cout * cin;
    int blocks = (cin + LANES - 1) / LANES;
    float (*gathered)[16][LANES] = malloc(sizeof(float[16][LANES]) * TRANSPOSED_OUTPUTS * blocks);
    if (!gathered) {
        float taps[16][LANES];
        for (int o = o_begin; o < o_end; o++) {
            for (int i = 0; i < cin; i += LANES) {
                int n = cin - i < LANES ? cin - i : LANES;
                gather(weights + ((long)i * cout + o) * 16, (long)cout * 16, n, taps);
                for (int phase = 0; phase < 4; phase++) {
                    transposed_phase(expand, points, plane, cin, o, i, n, phase, taps, u);
                }
            }
        }
        return;
    }
    for (int o0 = o_begin; o0 < o_end; o0 += TRANSPOSED_OUTPUTS) {
        int outputs = o_end - o0 < TRANSPOSED_OUTPUTS ? o_end - o0 : TRANSPOSED_OUTPUTS;
        for (int b = 0; b < blocks; b++) {
            int n = cin - b * LANES < LANES ? cin - b * LANES : LANES;
            for (int j = 0; j < outputs; j++) {
                gather(weights + ((long)b * LANES * cout + o0 + j) * 16, (long)cout * 16, n,
                       gathered[j * blocks + b]);
            }
        }
        // A phase at a time, so that each of U's rows is written whole
        // (36 or 100 rows at once missed the cache as the scattered gather did).
        for (int j = 0; j < outputs; j++) {
            for (int phase = 0; phase < 4; phase++) {
                for (int b = 0; b < blocks; b++) {
                    int n = cin - b * LANES < LANES ? cin - b * LANES : LANES;
                    transposed_phase(expand, points, plane, cin, o0 + j, b * LANES, n, phase,
                                     gathered[j * blocks + b], u);
                }
            }
        }
    }
    free(gathered);
}

void md_winograd_f22_conv_weights_rows(int cin, int cout, int o_begin, int o_end, const float *weights, float *u) {
    convolution_rows(f22_expand, 9, cin, cout, o_begin, o_end, weights, u);
}

void md_winograd_f22_transposed_weights_rows(int cin, int cout, int o_begin, int o_end, const float *weights,
                                             float *u) {
    transposed_rows(f22_expand, 9, cin, cout, o_begin, o_end, weights, u);
}

void md_winograd_f42_conv_weights_rows(int cin, int cout, int o_begin, int o_end, const float *weights, float *u) {
    convolution_rows(f42_expand, 25, cin, cout, o_begin, o_end, weights, u);
}

void md_winograd_f42_transposed_weights_rows(int cin, int cout, int o_begin, int o_end, const float *weights,
                                             float *u) {
    transposed_rows(f42_expand, 25, cin, cout, o_begin, o_end, weights, u);
}

void md_winograd_f22_conv_weights(int cin, int cout, const float *weights, float *u) {
    md_winograd_f22_conv_weights_rows(cin, cout, 0, cout, weights, u);
}

void md_winograd_f22_transposed_weights(int cin, int cout, const float *weights, float *u) {
    md_winograd_f22_transposed_weights_rows(cin, cout, 0, cout, weights, u);
}

void md_winograd_f42_conv_weights(int cin, int cout, const float *weights, float *u) {
    md_winograd_f42_conv_weights_rows(cin, cout, 0, cout, weights, u);
}

void md_winograd_f42_transposed_weights(int cin, int cout, const float *weights, float *u) {
    md_winograd_f42_transposed_weights_rows(cin, cout, 0, cout, weights, u);
}
