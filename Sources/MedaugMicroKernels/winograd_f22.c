#include "md_microkernels.h"

#include "winograd_common.h"
#include "winograd_avx2.h"

#define TARGET WINOGRAD_TARGET

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
// and the phases are interleaved back at the store. The weight transforms
// are in winograd_weights.c.

long md_winograd_f22_conv_scratch(int cin, int cout, int out_w, int tile_rows) {
    return winograd_band_scratch((out_w + 1) / 2, tile_rows, 9, 4 * cin, cout);
}

long md_winograd_f22_transposed_scratch(int cin, int cout, int w, int tile_rows) {
    return winograd_band_scratch((w + 1) / 2, tile_rows, 36, cin, cout);
}

#if defined(__x86_64__)
// Bᵀ applied to three vectors.
#define TRANSFORM3(d0, d1, d2, out)      \
    do {                                 \
        (out)[0] = _mm512_sub_ps(d0, d1); \
        (out)[1] = (d1);                 \
        (out)[2] = _mm512_sub_ps(d2, d1); \
    } while (0)

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
// next tile. The second 32 floats come from `half` floats further (32, or
// the next tile row, 4 rows down, when stacked; then lane 7's next tile is
// float 32 of the first half, loaded by masks[5]).
static TARGET void conv_input_tiles(const float *plane, int h, int w, int top, int x, int half, int half_rows,
                                    int stacked, const __mmask16 masks[6], float *slot, long k_stride,
                                    long xi_stride) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (int py = 0; py < 2; py++) {
        // h[j][px][b]: row j of this parity (input row top + 2j + py), after
        // the column transform of parity px.
        __m512 hrow[3][2][3];
        for (int j = 0; j < 3; j++) {
            int y = top + 2 * j + py;
            int in_a = y >= 0 && y < h, in_b = y + half_rows >= 0 && y + half_rows < h;
            if (!in_a && !in_b) {
                for (int px = 0; px < 2; px++) {
                    for (int b = 0; b < 3; b++) hrow[j][px][b] = _mm512_setzero_ps();
                }
                continue;
            }
            const float *row = plane + (long)(in_a ? y : y + half_rows) * w + x - (in_a ? 0 : half);
            __mmask16 ma = in_a ? 0xFFFF : 0, mb = in_b ? 0xFFFF : 0;
            __m512 l0 = _mm512_maskz_loadu_ps(masks[0] & ma, row), l1 = _mm512_maskz_loadu_ps(masks[1] & ma, row + 16);
            __m512 l2 = _mm512_maskz_loadu_ps(masks[2] & mb, row + half);
            __m512 l3 = _mm512_maskz_loadu_ps(masks[3] & mb, row + half + 16);
            __m512 next = _mm512_maskz_loadu_ps(masks[4] & mb, row + half + 32);
            __m512 a = _mm512_permutex2var_ps(l0, even, l1), b = _mm512_permutex2var_ps(l0, odd, l1);
            __m512 c = _mm512_permutex2var_ps(l2, even, l3), d = _mm512_permutex2var_ps(l2, odd, l3);
            __m512 c0 = _mm512_permutex2var_ps(a, even, c), c2 = _mm512_permutex2var_ps(a, odd, c);
            __m512 c1 = _mm512_permutex2var_ps(b, even, d), c3 = _mm512_permutex2var_ps(b, odd, d);
            // Residues 0 and 1 of the next tile: shift by one lane, pulling
            // in the next floats.
            __m512 c4 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(next), _mm512_castps_si512(c0), 1));
            __m512 next1 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_setzero_si512(), _mm512_castps_si512(next), 1));
            __m512 c5 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(next1), _mm512_castps_si512(c1), 1));
            if (stacked) {
                __m128 first = _mm512_castps512_ps128(_mm512_maskz_loadu_ps(masks[5] & ma, row + 32));
                c4 = _mm512_mask_broadcastss_ps(c4, 0x80, first);
                c5 = _mm512_mask_broadcastss_ps(c5, 0x80, _mm_movehdup_ps(first));
            }
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

static TARGET void conv_input(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    int h = layer->h, w = layer->w, cin = layer->cin;
    winograd_lanes l = b->lanes;
    long plane = (long)h * w;
    int half = l.stacked ? 4 * w : 32, half_rows = l.stacked ? 4 : 0;
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        int x = 4 * tx - 1;
        // Only lanes 0 and 1 of the loads of following floats are used.
        __mmask16 masks[6] = {winograd_inside(x, w), winograd_inside(x + 16, w),
                              winograd_inside(l.stacked ? x : x + 32, w), winograd_inside(l.stacked ? x + 16 : x + 48, w),
                              (__mmask16)(winograd_inside(l.stacked ? x + 32 : x + 64, w) & 3),
                              (__mmask16)(winograd_inside(x + 32, w) & 3)};
        for (int vr = 0; vr < b->vector_rows; vr++) {
            long t = (long)vr * l.vector_row_tiles + tx;
            float *slot = b->v + (t / 32) * 32 * b->k + t % 32;
            int top = 4 * (b->tile_row_begin + vr * l.rows_per_vector) - 1;
            for (int i = begin; i < end; i++) {
                conv_input_tiles(layer->input + i * plane, h, w, top, x, half, half_rows, l.stacked, masks,
                                 slot + 32 * i, 32L * cin, b->v_stride);
            }
        }
    }
}

static TARGET void conv_output(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    const __m512i low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i high = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    winograd_lanes l = b->lanes;
    int out_h = layer->h / 2, out_w = layer->w / 2;
    __m512 slope = _mm512_set1_ps(layer->slope);
    long out_plane = (long)out_h * out_w;
    long out_half = l.stacked ? 2L * out_w : 16;
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        int x = 2 * tx;
        __mmask16 store0 = winograd_inside(x, out_w), store1 = l.stacked ? store0 : winograd_inside(x + 16, out_w);
        for (int vr = 0; vr < b->vector_rows; vr++) {
            int ty = b->tile_row_begin + vr * l.rows_per_vector, y = 2 * ty, rows_a, rows_b;
            winograd_rows_to_store(l, ty, b->tile_row_end, 2, out_h, 2, &rows_a, &rows_b);
            long t = (long)vr * l.vector_row_tiles + tx;
            for (int o = begin; o < end; o++) {
                __m512 mv[9], yv[2][2];
                for (int xi = 0; xi < 9; xi++) mv[xi] = _mm512_loadu_ps(b->m + xi * b->m_stride + o * b->tiles + t);
                output_transform(mv, yv);
                __m512 bias = _mm512_set1_ps(layer->bias ? layer->bias[o] : 0.0f);
                for (int r = 0; r < 2; r++) {
                    __m512 left = winograd_activate(_mm512_add_ps(yv[r][0], bias), layer->activation, slope);
                    __m512 right = winograd_activate(_mm512_add_ps(yv[r][1], bias), layer->activation, slope);
                    float *row = layer->output + o * out_plane + (long)(y + r) * out_w + x;
                    if (r < rows_a) _mm512_mask_storeu_ps(row, store0, _mm512_permutex2var_ps(left, low, right));
                    if (r < rows_b) _mm512_mask_storeu_ps(row + out_half, store1, _mm512_permutex2var_ps(left, high, right));
                }
            }
        }
    }
}

int md_winograd_f22_conv(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end,
                             int begin, int end, float *scratch) {
    int tier = md_cpu_tier();
    if (tier != MD_CPU_AVX512 && tier != MD_CPU_AVX2) return 0;
    md_count_run(MD_FAMILY_STRIDED_WINOGRAD, tier);
    if (layer->cin <= 0 || layer->cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    winograd_band b = winograd_band_of((layer->w / 2 + 1) / 2, tile_row_begin, tile_row_end, 9, 4 * layer->cin,
                                       layer->cout, scratch);
    if (tier == MD_CPU_AVX512) {
        winograd_run(layer, &b, step, begin, end, conv_input, conv_output);
    } else {
        winograd_run(layer, &b, step, begin, end, md_winograd_f22_conv_input_avx2, md_winograd_f22_conv_output_avx2);
    }
    return 1;
}

// ------------------------------------------------ transposed convolution --

// V for 16 tiles (input positions 2t, 2t+1) of one input channel: rows
// top … top+3 and columns 2t−1 … 2t+2 (winograd_load_columns); phase
// p = (py, px) reads rows top+py … top+py+2 and columns 2t−1+px … 2t+1+px.
static TARGET void transposed_input_tiles(const float *plane, int h, int w, int top, int x,
                                          const winograd_columns *columns, float *slot, long xi_stride) {
    __m512 hrow[4][2][3];
    for (int r = 0; r < 4; r++) {
        __m512 c[4];
        winograd_load_columns(plane, h, w, top + r, x, columns, c);
        TRANSFORM3(c[0], c[1], c[2], hrow[r][0]);
        TRANSFORM3(c[1], c[2], c[3], hrow[r][1]);
    }
    for (int py = 0; py < 2; py++) {
        for (int px = 0; px < 2; px++) {
            float *dst = slot + (py * 2 + px) * 9 * xi_stride;     // phase-major: 9 matrices a phase
            for (int b = 0; b < 3; b++) {
                __m512 v[3];
                TRANSFORM3(hrow[py][px][b], hrow[py + 1][px][b], hrow[py + 2][px][b], v);
                for (int a = 0; a < 3; a++) _mm512_storeu_ps(dst + (a * 3 + b) * xi_stride, v[a]);
            }
        }
    }
}

static void transposed_input(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    winograd_transform_pairs(layer, b, begin, end, transposed_input_tiles);
}

static TARGET void transposed_output(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                     int end) {
    // Interleaving 4 vectors with stride 4: pairs first (z0 z2, z1 z3), then
    // the pairs of pairs.
    const __m512i low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i high = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    winograd_lanes l = b->lanes;
    __m512 slope = _mm512_set1_ps(layer->slope);
    int out_h = 2 * layer->h, out_w = 2 * layer->w;
    long out_plane = (long)out_h * out_w;
    // Lanes 8–15 (output floats 32–63 of a row): 32 columns on, or the next
    // tile row, 4 output rows down, at the same columns.
    long out_half = l.stacked ? 4L * out_w : 32;
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        int x = 4 * tx;
        __mmask16 stores[4] = {winograd_inside(x, out_w), winograd_inside(x + 16, out_w), winograd_inside(l.stacked ? x : x + 32, out_w),
                               winograd_inside(l.stacked ? x + 16 : x + 48, out_w)};
        for (int vr = 0; vr < b->vector_rows; vr++) {
            int ty = b->tile_row_begin + vr * l.rows_per_vector, y = 4 * ty, rows_a, rows_b;
            winograd_rows_to_store(l, ty, b->tile_row_end, 4, out_h, 4, &rows_a, &rows_b);
            long t = (long)vr * l.vector_row_tiles + tx;
            for (int o = begin; o < end; o++) {
                __m512 bias = _mm512_set1_ps(layer->bias ? layer->bias[o] : 0.0f);
                __m512 yv[4][2][2];     // [phase][a][b]
                for (int phase = 0; phase < 4; phase++) {
                    __m512 mv[9];
                    for (int xi = 0; xi < 9; xi++) {
                        mv[xi] = _mm512_loadu_ps(b->m + (phase * 9 + xi) * b->m_stride + o * b->tiles + t);
                    }
                    output_transform(mv, yv[phase]);
                    for (int a = 0; a < 2; a++) {
                        for (int c = 0; c < 2; c++) {
                            yv[phase][a][c] = winograd_activate(_mm512_add_ps(yv[phase][a][c], bias), layer->activation, slope);
                        }
                    }
                }
                for (int a = 0; a < 2; a++) {
                    for (int py = 0; py < 2; py++) {
                        int r = 2 * a + py;     // output row y + r
                        // Output column 4t + j: j = 2·bx + px.
                        __m512 z0 = yv[py * 2][a][0], z1 = yv[py * 2 + 1][a][0];
                        __m512 z2 = yv[py * 2][a][1], z3 = yv[py * 2 + 1][a][1];
                        __m512 p0 = _mm512_permutex2var_ps(z0, low, z2), p1 = _mm512_permutex2var_ps(z0, high, z2);
                        __m512 q0 = _mm512_permutex2var_ps(z1, low, z3), q1 = _mm512_permutex2var_ps(z1, high, z3);
                        float *row = layer->output + o * out_plane + (long)(y + r) * out_w + x;
                        if (r < rows_a) {
                            _mm512_mask_storeu_ps(row, stores[0], _mm512_permutex2var_ps(p0, low, q0));
                            _mm512_mask_storeu_ps(row + 16, stores[1], _mm512_permutex2var_ps(p0, high, q0));
                        }
                        if (r < rows_b) {
                            _mm512_mask_storeu_ps(row + out_half, stores[2], _mm512_permutex2var_ps(p1, low, q1));
                            _mm512_mask_storeu_ps(row + out_half + 16, stores[3], _mm512_permutex2var_ps(p1, high, q1));
                        }
                    }
                }
            }
        }
    }
}

int md_winograd_f22_transposed(const md_winograd_layer *layer, int step, int tile_row_begin,
                                   int tile_row_end, int begin, int end, float *scratch) {
    int tier = md_cpu_tier();
    if (tier != MD_CPU_AVX512 && tier != MD_CPU_AVX2) return 0;
    md_count_run(MD_FAMILY_STRIDED_WINOGRAD, tier);
    if (layer->cin <= 0 || layer->cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    winograd_band b = winograd_band_of((layer->w + 1) / 2, tile_row_begin, tile_row_end, 36, layer->cin, layer->cout,
                                       scratch);
    if (tier == MD_CPU_AVX512) {
        winograd_run(layer, &b, step, begin, end, transposed_input, transposed_output);
    } else {
        winograd_run(layer, &b, step, begin, end, md_winograd_f22_transposed_input_avx2,
                     md_winograd_f22_transposed_output_avx2);
    }
    return 1;
}
#else
// aarch64: the NEON tier (winograd_f22_neon.c); elsewhere none, and the
// engine does not select these kernels (CPUTier.runs(.stridedWinograd)).
#include "winograd_neon.h"

int md_winograd_f22_conv(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end, int begin,
                         int end, float *scratch) {
#if defined(__aarch64__)
    if (md_cpu_tier() != MD_CPU_NEON) return 0;
    md_count_run(MD_FAMILY_STRIDED_WINOGRAD, MD_CPU_NEON);
    if (layer->cin <= 0 || layer->cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    winograd_band b = winograd_band_of((layer->w / 2 + 1) / 2, tile_row_begin, tile_row_end, 9, 4 * layer->cin,
                                       layer->cout, scratch);
    winograd_run(layer, &b, step, begin, end, md_winograd_f22_conv_input_neon, md_winograd_f22_conv_output_neon);
    return 1;
#else
    (void)layer, (void)step, (void)tile_row_begin, (void)tile_row_end, (void)begin, (void)end, (void)scratch;
    return 0;
#endif
}

int md_winograd_f22_transposed(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end,
                               int begin, int end, float *scratch) {
#if defined(__aarch64__)
    if (md_cpu_tier() != MD_CPU_NEON) return 0;
    md_count_run(MD_FAMILY_STRIDED_WINOGRAD, MD_CPU_NEON);
    if (layer->cin <= 0 || layer->cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    winograd_band b = winograd_band_of((layer->w + 1) / 2, tile_row_begin, tile_row_end, 36, layer->cin, layer->cout,
                                       scratch);
    winograd_run(layer, &b, step, begin, end, md_winograd_f22_transposed_input_neon,
                 md_winograd_f22_transposed_output_neon);
    return 1;
#else
    (void)layer, (void)step, (void)tile_row_begin, (void)tile_row_end, (void)begin, (void)end, (void)scratch;
    return 0;
#endif
}
#endif
