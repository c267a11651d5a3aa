#include "medaug_microkernels.h"

#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

// The pix2pix layers, 4×4 stride-2 padding-1 convolutions and transposed
// convolutions, split into 2-tap stride-1 correlations, each computed by
// Winograd's F(2, 2): two outputs y0 = d0·g0 + d1·g1, y1 = d1·g0 + d2·g1 from
// three products (d0 − d1)·g0, d1·(g0 + g1), (d2 − d1)·g1. In 2-D, F(2×2,
// 2×2) costs 9 multiply-adds per 2×2 tile instead of 16 (1.78× fewer):
//   Bᵀ = [[1, −1, 0], [0, 1, 0], [0, −1, 1]], G = [[1, 0], [1, 1], [0, 1]],
//   Aᵀ = [[1, 1, 0], [0, 1, 1]].
//
// Convolution: output row y reads input rows 2y−1 … 2y+2. By parity, the odd
// input rows O[j] = in[2j+1] meet taps (0, 2) at O[y−1], O[y], and the even
// rows E[j] = in[2j] taps (1, 3) at E[y], E[y+1]; likewise for columns. So
// the layer is 4 parity classes × a 2×2 correlation, summed: one F(2×2, 2×2)
// with 4·cin input channels. V[ξ][(py·2 + px)·cin + i][t], 9 GEMMs.
//
// Transposed convolution: output row 2y + py reads in[y−1]·w3 + in[y]·w1
// (py = 0) or in[y]·w2 + in[y+1]·w0 (py = 1). So each of the 4 output phases
// (py, px) is a 2×2 correlation of the input: V[phase][ξ][i][t], 36 GEMMs,
// and the phases are interleaved back at the store.

static int padded_tiles(int tiles) { return (tiles + 15) / 16 * 16; }
static long strip_columns(long tiles) { return (tiles + 31) / 32 * 32; }

// Kernel taps meeting the 3 data points of parity (convolution) or phase
// (transposed) p, in correlation order.
static const int conv_taps[2][2] = {{0, 2}, {1, 3}};
static const int transposed_taps[2][2] = {{3, 1}, {2, 0}};

// U = G·g·Gᵀ for a 2×2 kernel g.
static void expand(const float g[2][2], float u[3][3]) {
    float t[3][2];
    for (int b = 0; b < 2; b++) {
        t[0][b] = g[0][b];
        t[1][b] = g[0][b] + g[1][b];
        t[2][b] = g[1][b];
    }
    for (int a = 0; a < 3; a++) {
        u[a][0] = t[a][0];
        u[a][1] = t[a][0] + t[a][1];
        u[a][2] = t[a][1];
    }
}

void medaug_winograd_f22_conv_weights(int cin, int cout, const float *weights, float *u) {
    long k = 4L * cin;
    for (int o = 0; o < cout; o++) {
        for (int i = 0; i < cin; i++) {
            const float *w = weights + ((long)o * cin + i) * 16;
            for (int py = 0; py < 2; py++) {
                for (int px = 0; px < 2; px++) {
                    float g[2][2], x[3][3];
                    for (int a = 0; a < 2; a++) {
                        for (int b = 0; b < 2; b++) g[a][b] = w[conv_taps[py][a] * 4 + conv_taps[px][b]];
                    }
                    expand(g, x);
                    for (int xi = 0; xi < 9; xi++) {
                        u[((long)xi * cout + o) * k + (py * 2 + px) * cin + i] = x[xi / 3][xi % 3];
                    }
                }
            }
        }
    }
}

void medaug_winograd_f22_transposed_weights(int cin, int cout, const float *weights, float *u) {
    for (int i = 0; i < cin; i++) {
        for (int o = 0; o < cout; o++) {
            const float *w = weights + ((long)i * cout + o) * 16;
            for (int phase = 0; phase < 4; phase++) {
                int py = phase / 2, px = phase % 2;
                float g[2][2], x[3][3];
                for (int a = 0; a < 2; a++) {
                    for (int b = 0; b < 2; b++) g[a][b] = w[transposed_taps[py][a] * 4 + transposed_taps[px][b]];
                }
                expand(g, x);
                for (int xi = 0; xi < 9; xi++) {
                    u[(((long)phase * 9 + xi) * cout + o) * cin + i] = x[xi / 3][xi % 3];
                }
            }
        }
    }
}

long medaug_winograd_f22_conv_scratch(int cin, int cout, int out_w, int tile_rows) {
    long tiles = (long)tile_rows * padded_tiles((out_w + 1) / 2);
    return 9 * (4L * cin * strip_columns(tiles) + (long)cout * tiles);
}

long medaug_winograd_f22_transposed_scratch(int cin, int cout, int w, int tile_rows) {
    long tiles = (long)tile_rows * padded_tiles((w + 1) / 2);
    return 36 * ((long)cin * strip_columns(tiles) + (long)cout * tiles);
}

// Lanes of the 16 floats starting at column `x` that lie inside [0, w).
static TARGET __mmask16 inside(int x, int w) {
    unsigned bits = 0;
    for (int lane = 0; lane < 16; lane++) {
        if (x + lane >= 0 && x + lane < w) bits |= 1u << lane;
    }
    return (__mmask16)bits;
}

// Bᵀ applied to three vectors.
#define TRANSFORM3(d0, d1, d2, out)      \
    do {                                 \
        (out)[0] = _mm512_sub_ps(d0, d1); \
        (out)[1] = (d1);                 \
        (out)[2] = _mm512_sub_ps(d2, d1); \
    } while (0)

static TARGET __m512 activate(__m512 x, int activation, __m512 slope) {
    if (activation == MEDAUG_ACTIVATION_RELU) return _mm512_max_ps(x, _mm512_setzero_ps());
    if (activation == MEDAUG_ACTIVATION_LEAKY_RELU) {
        __mmask16 positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
        return _mm512_mask_blend_ps(positive, _mm512_mul_ps(x, slope), x);
    }
    return x;
}

// Aᵀ·M·A for 16 tiles: m[ξ] (ξ = a·3 + b) → y[r][c], 2×2.
static TARGET void output_transform(const __m512 m[9], __m512 y[2][2]) {
    for (int r = 0; r < 2; r++) {
        __m512 row[3];
        for (int b = 0; b < 3; b++) row[b] = _mm512_add_ps(m[r * 3 + b], m[(r + 1) * 3 + b]);
        y[r][0] = _mm512_add_ps(row[0], row[1]);
        y[r][1] = _mm512_add_ps(row[1], row[2]);
    }
}

// ---------------------------------------------------------- convolution --

// V for 16 tiles (output columns 2t, 2t+1) of one input channel: input rows
// top … top+5 (= 4·ty − 1 …) and columns x … x+5 per tile (x = 4t − 1),
// gathered by loading 64 floats from column 4·t0 − 1 and splitting them into
// the 4 residues mod 4; columns 4t+3 and 4t+4 are residues 0 and 1 of the
// next tile.
static TARGET void conv_input_tiles(const float *plane, int h, int w, int top, int x,
                                    const __mmask16 masks[5], float *slot, long k_stride, long xi_stride) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (int py = 0; py < 2; py++) {
        // h[j][px][b]: row j of this parity (input row top + 2j + py), after
        // the column transform of parity px.
        __m512 hrow[3][2][3];
        for (int j = 0; j < 3; j++) {
            int y = top + 2 * j + py;
            if (y < 0 || y >= h) {
                for (int px = 0; px < 2; px++) {
                    for (int b = 0; b < 3; b++) hrow[j][px][b] = _mm512_setzero_ps();
                }
                continue;
            }
            const float *row = plane + (long)y * w + x;
            __m512 l0 = _mm512_maskz_loadu_ps(masks[0], row), l1 = _mm512_maskz_loadu_ps(masks[1], row + 16);
            __m512 l2 = _mm512_maskz_loadu_ps(masks[2], row + 32), l3 = _mm512_maskz_loadu_ps(masks[3], row + 48);
            __m512 next = _mm512_maskz_loadu_ps(masks[4], row + 64);
            __m512 a = _mm512_permutex2var_ps(l0, even, l1), b = _mm512_permutex2var_ps(l0, odd, l1);
            __m512 c = _mm512_permutex2var_ps(l2, even, l3), d = _mm512_permutex2var_ps(l2, odd, l3);
            __m512 c0 = _mm512_permutex2var_ps(a, even, c), c2 = _mm512_permutex2var_ps(a, odd, c);
            __m512 c1 = _mm512_permutex2var_ps(b, even, d), c3 = _mm512_permutex2var_ps(b, odd, d);
            // Residues 0 and 1 of the next tile: shift by one lane, pulling
            // in floats 64 and 65.
            __m512 c4 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(next), _mm512_castps_si512(c0), 1));
            __m512 next1 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_setzero_si512(), _mm512_castps_si512(next), 1));
            __m512 c5 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(next1), _mm512_castps_si512(c1), 1));
            TRANSFORM3(c0, c2, c4, hrow[j][0]);     // odd columns 4t−1, 4t+1, 4t+3
            TRANSFORM3(c1, c3, c5, hrow[j][1]);     // even columns 4t, 4t+2, 4t+4
        }
        for (int px = 0; px < 2; px++) {
            float *dst = slot + (py * 2 + px) * k_stride;
            for (int b = 0; b < 3; b++) {
                __m512 v[3];
                TRANSFORM3(hrow[0][px][b], hrow[1][px][b], hrow[2][px][b], v);
                for (int a = 0; a < 3; a++) _mm512_storeu_ps(dst + (a * 3 + b) * xi_stride, v[a]);
            }
        }
    }
}

static TARGET void conv_band(int cin, int h, int w, const float *input, int cout, const float *u, int out_h,
                             int out_w, int tile_row_begin, int tile_rows, float *scratch, float *output,
                             const float *bias, int activation, float slope_value) {
    int per_row = padded_tiles((out_w + 1) / 2);
    long tiles = (long)tile_rows * per_row, k = 4L * cin;
    long v_stride = k * strip_columns(tiles), m_stride = (long)cout * tiles;
    float *v = scratch, *m = scratch + 9 * v_stride;
    long plane = (long)h * w;
    for (int tx = 0; tx < per_row; tx += 16) {
        int x = 4 * tx - 1;
        // Only lane 0 of the fifth load (float 64) is used, with float 65
        // taken from lane 1: both must lie inside the row.
        __mmask16 masks[5] = {inside(x, w), inside(x + 16, w), inside(x + 32, w), inside(x + 48, w),
                              (__mmask16)(inside(x + 64, w) & 3)};
        for (int ty = 0; ty < tile_rows; ty++) {
            long t = (long)ty * per_row + tx;
            float *slot = v + (t / 32) * 32 * k + t % 32;
            int top = 4 * (tile_row_begin + ty) - 1;
            for (int i = 0; i < cin; i++) {
                conv_input_tiles(input + i * plane, h, w, top, x, masks, slot + 32 * i, 32L * cin, v_stride);
            }
        }
    }
    for (int xi = 0; xi < 9; xi++) {
        medaug_sgemm_packed_strips(cout, (int)tiles, (int)k, u + (long)xi * cout * k, (int)k, v + xi * v_stride,
                                   m + xi * m_stride, (int)tiles);
    }
    const __m512i low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i high = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    __m512 slope = _mm512_set1_ps(slope_value);
    long out_plane = (long)out_h * out_w;
    for (int tx = 0; tx < per_row; tx += 16) {
        int x = 2 * tx;
        __mmask16 store0 = inside(x, out_w), store1 = inside(x + 16, out_w);
        for (int ty = 0; ty < tile_rows; ty++) {
            int y = 2 * (tile_row_begin + ty);
            long t = (long)ty * per_row + tx;
            for (int o = 0; o < cout; o++) {
                __m512 mv[9], yv[2][2];
                for (int xi = 0; xi < 9; xi++) mv[xi] = _mm512_loadu_ps(m + xi * m_stride + o * tiles + t);
                output_transform(mv, yv);
                __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.0f);
                for (int r = 0; r < 2 && y + r < out_h; r++) {
                    __m512 left = activate(_mm512_add_ps(yv[r][0], b), activation, slope);
                    __m512 right = activate(_mm512_add_ps(yv[r][1], b), activation, slope);
                    float *row = output + o * out_plane + (long)(y + r) * out_w + x;
                    _mm512_mask_storeu_ps(row, store0, _mm512_permutex2var_ps(left, low, right));
                    _mm512_mask_storeu_ps(row + 16, store1, _mm512_permutex2var_ps(left, high, right));
                }
            }
        }
    }
}

int medaug_winograd_f22_conv(int cin, int h, int w, const float *input, int cout, const float *u,
                             int tile_row_begin, int tile_row_end, float *scratch, float *output,
                             const float *bias, int activation, float slope) {
    if (!medaug_microkernels_available()) return 0;
    if (cin <= 0 || cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    conv_band(cin, h, w, input, cout, u, h / 2, w / 2, tile_row_begin, tile_row_end - tile_row_begin, scratch,
              output, bias, activation, slope);
    return 1;
}

// ------------------------------------------------ transposed convolution --

// V for 16 tiles (input positions 2t, 2t+1) of one input channel: rows
// top … top+3 and columns 2t−1 … 2t+2; phase p = (py, px) reads rows
// top+py … top+py+2 and columns 2t−1+px … 2t+1+px.
static TARGET void transposed_input_tiles(const float *plane, int h, int w, int top, int x,
                                          const __mmask16 masks[4], float *slot, long phase_stride,
                                          long xi_stride) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    __m512 hrow[4][2][3];
    for (int r = 0; r < 4; r++) {
        int y = top + r;
        if (y < 0 || y >= h) {
            for (int px = 0; px < 2; px++) {
                for (int b = 0; b < 3; b++) hrow[r][px][b] = _mm512_setzero_ps();
            }
            continue;
        }
        const float *row = plane + (long)y * w + x;
        __m512 a = _mm512_maskz_loadu_ps(masks[0], row), b = _mm512_maskz_loadu_ps(masks[1], row + 16);
        __m512 c = _mm512_maskz_loadu_ps(masks[2], row + 2), d = _mm512_maskz_loadu_ps(masks[3], row + 18);
        __m512 c0 = _mm512_permutex2var_ps(a, even, b), c1 = _mm512_permutex2var_ps(a, odd, b);
        __m512 c2 = _mm512_permutex2var_ps(c, even, d), c3 = _mm512_permutex2var_ps(c, odd, d);
        TRANSFORM3(c0, c1, c2, hrow[r][0]);
        TRANSFORM3(c1, c2, c3, hrow[r][1]);
    }
    for (int py = 0; py < 2; py++) {
        for (int px = 0; px < 2; px++) {
            float *dst = slot + (py * 2 + px) * phase_stride;
            for (int b = 0; b < 3; b++) {
                __m512 v[3];
                TRANSFORM3(hrow[py][px][b], hrow[py + 1][px][b], hrow[py + 2][px][b], v);
                for (int a = 0; a < 3; a++) _mm512_storeu_ps(dst + (a * 3 + b) * xi_stride, v[a]);
            }
        }
    }
}

static TARGET void transposed_band(int cin, int h, int w, const float *input, int cout, const float *u,
                                   int tile_row_begin, int tile_rows, float *scratch, float *output,
                                   const float *bias, int activation, float slope_value) {
    int per_row = padded_tiles((w + 1) / 2);
    long tiles = (long)tile_rows * per_row;
    long v_stride = (long)cin * strip_columns(tiles), m_stride = (long)cout * tiles;
    float *v = scratch, *m = scratch + 36 * v_stride;
    long plane = (long)h * w;
    for (int tx = 0; tx < per_row; tx += 16) {
        int x = 2 * tx - 1;
        __mmask16 masks[4] = {inside(x, w), inside(x + 16, w), inside(x + 2, w), inside(x + 18, w)};
        for (int ty = 0; ty < tile_rows; ty++) {
            long t = (long)ty * per_row + tx;
            float *slot = v + (t / 32) * 32 * cin + t % 32;
            int top = 2 * (tile_row_begin + ty) - 1;
            for (int i = 0; i < cin; i++) {
                transposed_input_tiles(input + i * plane, h, w, top, x, masks, slot + 32 * i, 9 * v_stride, v_stride);
            }
        }
    }
    for (int g = 0; g < 36; g++) {
        medaug_sgemm_packed_strips(cout, (int)tiles, cin, u + (long)g * cout * cin, cin, v + g * v_stride,
                                   m + g * m_stride, (int)tiles);
    }
    // Interleaving 4 vectors with stride 4: pairs first (z0 z2, z1 z3), then
    // the pairs of pairs.
    const __m512i low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i high = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    __m512 slope = _mm512_set1_ps(slope_value);
    int out_h = 2 * h, out_w = 2 * w;
    long out_plane = (long)out_h * out_w;
    for (int tx = 0; tx < per_row; tx += 16) {
        int x = 4 * tx;
        __mmask16 stores[4] = {inside(x, out_w), inside(x + 16, out_w), inside(x + 32, out_w), inside(x + 48, out_w)};
        for (int ty = 0; ty < tile_rows; ty++) {
            int y = 4 * (tile_row_begin + ty);
            long t = (long)ty * per_row + tx;
            for (int o = 0; o < cout; o++) {
                __m512 b = _mm512_set1_ps(bias ? bias[o] : 0.0f);
                __m512 yv[4][2][2];     // [phase][a][b]
                for (int phase = 0; phase < 4; phase++) {
                    __m512 mv[9];
                    for (int xi = 0; xi < 9; xi++) {
                        mv[xi] = _mm512_loadu_ps(m + (phase * 9 + xi) * m_stride + o * tiles + t);
                    }
                    output_transform(mv, yv[phase]);
                    for (int a = 0; a < 2; a++) {
                        for (int c = 0; c < 2; c++) yv[phase][a][c] = activate(_mm512_add_ps(yv[phase][a][c], b), activation, slope);
                    }
                }
                for (int a = 0; a < 2; a++) {
                    for (int py = 0; py < 2; py++) {
                        int oy = y + 2 * a + py;
                        if (oy >= out_h) continue;
                        // Output column 4t + j: j = 2·bx + px.
                        __m512 z0 = yv[py * 2][a][0], z1 = yv[py * 2 + 1][a][0];
                        __m512 z2 = yv[py * 2][a][1], z3 = yv[py * 2 + 1][a][1];
                        __m512 p0 = _mm512_permutex2var_ps(z0, low, z2), p1 = _mm512_permutex2var_ps(z0, high, z2);
                        __m512 q0 = _mm512_permutex2var_ps(z1, low, z3), q1 = _mm512_permutex2var_ps(z1, high, z3);
                        float *row = output + o * out_plane + (long)oy * out_w + x;
                        _mm512_mask_storeu_ps(row, stores[0], _mm512_permutex2var_ps(p0, low, q0));
                        _mm512_mask_storeu_ps(row + 16, stores[1], _mm512_permutex2var_ps(p0, high, q0));
                        _mm512_mask_storeu_ps(row + 32, stores[2], _mm512_permutex2var_ps(p1, low, q1));
                        _mm512_mask_storeu_ps(row + 48, stores[3], _mm512_permutex2var_ps(p1, high, q1));
                    }
                }
            }
        }
    }
}

int medaug_winograd_f22_transposed(int cin, int h, int w, const float *input, int cout, const float *u,
                                   int tile_row_begin, int tile_row_end, float *scratch, float *output,
                                   const float *bias, int activation, float slope) {
    if (!medaug_microkernels_available()) return 0;
    if (cin <= 0 || cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    transposed_band(cin, h, w, input, cout, u, tile_row_begin, tile_row_end - tile_row_begin, scratch, output,
                    bias, activation, slope);
    return 1;
}
