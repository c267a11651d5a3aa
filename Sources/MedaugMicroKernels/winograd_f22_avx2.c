// Winograd F(2×2, 2×2) for pix2pix's 4×4 stride-2 convolutions and
// transposed convolutions, AVX2 + FMA tier: winograd_f22.c's split, band
// layout and transforms, each vector of 16 tiles handled as two halves of 8
// lanes (lanes 8–15: the next 8 tiles of the tile row, or, stacked, the first
// 8 tiles of the next tile row). winograd_f22.c explains the method.
#include "md_microkernels.h"

#include "winograd_avx2.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// Bᵀ applied to three vectors.
#define TRANSFORM3(d0, d1, d2, out)          \
    do {                                     \
        (out)[0] = _mm256_sub_ps(d0, d1);    \
        (out)[1] = (d1);                     \
        (out)[2] = _mm256_sub_ps(d2, d1);    \
    } while (0)

// Aᵀ·M·A for 8 tiles: m[ξ] (ξ = a·3 + b) → y[r][c], 2×2.
static inline TARGET void output_transform8(const __m256 m[9], __m256 y[2][2]) {
    for (int r = 0; r < 2; r++) {
        __m256 row[3];
        for (int b = 0; b < 3; b++) row[b] = _mm256_add_ps(m[r * 3 + b], m[(r + 1) * 3 + b]);
        y[r][0] = _mm256_add_ps(row[0], row[1]);
        y[r][1] = _mm256_add_ps(row[1], row[2]);
    }
}

// [l0 r0 l1 r1 … l7 r7] as two vectors, stored from `row` + x where inside
// [0, w).
static inline TARGET void store_pairs(float *row, int x, int w, __m256 left, __m256 right) {
    __m256 lo = _mm256_unpacklo_ps(left, right), hi = _mm256_unpackhi_ps(left, right);
    winograd_store8(row, x, w, _mm256_permute2f128_ps(lo, hi, 0x20));
    winograd_store8(row, x + 8, w, _mm256_permute2f128_ps(lo, hi, 0x31));
}

// ---------------------------------------------------------- convolution --

// Columns x + 4t + r (r = 0…3) of 8 tiles t: 32 floats as a 4×4 transpose
// per 128-bit lane, then tiles back in order.
static inline TARGET void load_residues(const float *row, int x, int w, int inside, __m256 c[4]) {
    __m256 l0 = winograd_load8(row, x, w, inside), l1 = winograd_load8(row, x + 8, w, inside);
    __m256 l2 = winograd_load8(row, x + 16, w, inside), l3 = winograd_load8(row, x + 24, w, inside);
    __m256 a = _mm256_unpacklo_ps(l0, l1), b = _mm256_unpackhi_ps(l0, l1);
    __m256 e = _mm256_unpacklo_ps(l2, l3), f = _mm256_unpackhi_ps(l2, l3);
    // Lanes hold tiles 0 2 4 6 | 1 3 5 7.
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    c[0] = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(a, e, 0x44), order);
    c[1] = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(a, e, 0xEE), order);
    c[2] = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(b, f, 0x44), order);
    c[3] = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(b, f, 0xEE), order);
}

// v shifted down one lane, `next` in lane 7.
static inline TARGET __m256 shift_in(__m256 v, float next) {
    __m256 shifted = _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7));
    return _mm256_blend_ps(shifted, _mm256_set1_ps(next), 0x80);
}

// V for 8 tiles (output columns 2t, 2t+1) of one input channel: input rows
// top … top+5 and columns 4t−1 … 4t+4 per tile (x = 4·t0 − 1).
static TARGET void conv_input_tiles8(const float *plane, int h, int w, int top, int x, float *slot, long k_stride,
                                     long xi_stride) {
    for (int py = 0; py < 2; py++) {
        __m256 hrow[3][2][3];
        for (int j = 0; j < 3; j++) {
            int y = top + 2 * j + py, inside = y >= 0 && y < h;
            const float *row = plane + (long)(inside ? y : 0) * w;
            __m256 c[4];
            load_residues(row, x, w, inside, c);
            // Residues 0 and 1 of the next tile: columns x + 32, x + 33.
            float n0 = inside && x + 32 >= 0 && x + 32 < w ? row[x + 32] : 0.0f;
            float n1 = inside && x + 33 >= 0 && x + 33 < w ? row[x + 33] : 0.0f;
            __m256 c4 = shift_in(c[0], n0), c5 = shift_in(c[1], n1);
            TRANSFORM3(c[0], c[2], c4, hrow[j][0]);     // odd columns 4t−1, 4t+1, 4t+3
            TRANSFORM3(c[1], c[3], c5, hrow[j][1]);     // even columns 4t, 4t+2, 4t+4
        }
        for (int px = 0; px < 2; px++) {
            float *dst = slot + (py * 2 + px) * k_stride;
            for (int b = 0; b < 3; b++) {
                __m256 v[3];
                TRANSFORM3(hrow[0][px][b], hrow[1][px][b], hrow[2][px][b], v);
                for (int a = 0; a < 3; a++) _mm256_storeu_ps(dst + (a * 3 + b) * xi_stride, v[a]);
            }
        }
    }
}

void md_winograd_f22_conv_input_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    winograd_input_groups(layer, b, begin, end, 8, 4, 32L * layer->cin, conv_input_tiles8);
}

TARGET void md_winograd_f22_conv_output_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                             int end) {
    winograd_lanes l = b->lanes;
    int out_h = layer->h / 2, out_w = layer->w / 2;
    __m256 slope = _mm256_set1_ps(layer->slope);
    long out_plane = (long)out_h * out_w;
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        for (int vr = 0; vr < b->vector_rows; vr++) {
            int ty = b->tile_row_begin + vr * l.rows_per_vector, rows_a, rows_b;
            winograd_rows_to_store(l, ty, b->tile_row_end, 2, out_h, 2, &rows_a, &rows_b);
            long t = (long)vr * l.vector_row_tiles + tx;
            for (int half = 0; half < 2; half++) {
                int rows = half == 0 ? rows_a : rows_b;
                if (rows <= 0) continue;
                int x = 2 * tx + (l.stacked ? 0 : 16 * half), y = 2 * ty + (l.stacked ? 2 * half : 0);
                for (int o = begin; o < end; o++) {
                    __m256 mv[9], yv[2][2];
                    for (int xi = 0; xi < 9; xi++) {
                        mv[xi] = _mm256_loadu_ps(b->m + xi * b->m_stride + o * b->tiles + t + 8 * half);
                    }
                    output_transform8(mv, yv);
                    __m256 bias = _mm256_set1_ps(layer->bias ? layer->bias[o] : 0.0f);
                    for (int r = 0; r < rows; r++) {
                        __m256 left = winograd_activate8(_mm256_add_ps(yv[r][0], bias), layer->activation, slope);
                        __m256 right = winograd_activate8(_mm256_add_ps(yv[r][1], bias), layer->activation, slope);
                        store_pairs(layer->output + o * out_plane + (long)(y + r) * out_w, x, out_w, left, right);
                    }
                }
            }
        }
    }
}

// ------------------------------------------------ transposed convolution --

// The even and odd columns of 16 floats of `row` from column x.
static inline TARGET void load_pairs(const float *row, int x, int w, int inside, __m256 *even, __m256 *odd) {
    __m256 lo = winograd_load8(row, x, w, inside), hi = winograd_load8(row, x + 8, w, inside);
    __m256 e = _mm256_shuffle_ps(lo, hi, 0x88), o = _mm256_shuffle_ps(lo, hi, 0xDD);
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8));
}

// V for 8 tiles (input positions 2t, 2t+1) of one input channel: rows
// top … top+3, columns 2t−1 … 2t+2; phase (py, px) reads rows top+py …
// top+py+2 and columns 2t−1+px … 2t+1+px.
static TARGET void transposed_input_tiles8(const float *plane, int h, int w, int top, int x, float *slot,
                                           long k_stride, long xi_stride) {
    (void)k_stride;
    __m256 hrow[4][2][3];
    for (int r = 0; r < 4; r++) {
        int y = top + r, inside = y >= 0 && y < h;
        const float *row = plane + (long)(inside ? y : 0) * w;
        __m256 c[4];
        load_pairs(row, x, w, inside, &c[0], &c[1]);
        load_pairs(row, x + 2, w, inside, &c[2], &c[3]);
        TRANSFORM3(c[0], c[1], c[2], hrow[r][0]);
        TRANSFORM3(c[1], c[2], c[3], hrow[r][1]);
    }
    for (int py = 0; py < 2; py++) {
        for (int px = 0; px < 2; px++) {
            float *dst = slot + (py * 2 + px) * 9 * xi_stride;     // phase-major: 9 matrices a phase
            for (int b = 0; b < 3; b++) {
                __m256 v[3];
                TRANSFORM3(hrow[py][px][b], hrow[py + 1][px][b], hrow[py + 2][px][b], v);
                for (int a = 0; a < 3; a++) _mm256_storeu_ps(dst + (a * 3 + b) * xi_stride, v[a]);
            }
        }
    }
}

void md_winograd_f22_transposed_input_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                           int end) {
    winograd_input_groups(layer, b, begin, end, 8, 2, 0, transposed_input_tiles8);
}

// Output columns 4t + j of 8 tiles, j = 0…3 from z[j], stored from `row` + x
// where inside [0, w): a 4×8 transpose.
static inline TARGET void store_quads(float *row, int x, int w, const __m256 z[4]) {
    __m256 u0 = _mm256_unpacklo_ps(z[0], z[1]), u1 = _mm256_unpackhi_ps(z[0], z[1]);
    __m256 u2 = _mm256_unpacklo_ps(z[2], z[3]), u3 = _mm256_unpackhi_ps(z[2], z[3]);
    // Tiles 0|4, 1|5, 2|6, 3|7.
    __m256 w0 = _mm256_shuffle_ps(u0, u2, 0x44), w1 = _mm256_shuffle_ps(u0, u2, 0xEE);
    __m256 w2 = _mm256_shuffle_ps(u1, u3, 0x44), w3 = _mm256_shuffle_ps(u1, u3, 0xEE);
    winograd_store8(row, x, w, _mm256_permute2f128_ps(w0, w1, 0x20));
    winograd_store8(row, x + 8, w, _mm256_permute2f128_ps(w2, w3, 0x20));
    winograd_store8(row, x + 16, w, _mm256_permute2f128_ps(w0, w1, 0x31));
    winograd_store8(row, x + 24, w, _mm256_permute2f128_ps(w2, w3, 0x31));
}

TARGET void md_winograd_f22_transposed_output_avx2(const md_winograd_layer *layer, const winograd_band *b,
                                                   int begin, int end) {
    winograd_lanes l = b->lanes;
    __m256 slope = _mm256_set1_ps(layer->slope);
    int out_h = 2 * layer->h, out_w = 2 * layer->w;
    long out_plane = (long)out_h * out_w;
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        for (int vr = 0; vr < b->vector_rows; vr++) {
            int ty = b->tile_row_begin + vr * l.rows_per_vector, rows_a, rows_b;
            winograd_rows_to_store(l, ty, b->tile_row_end, 4, out_h, 4, &rows_a, &rows_b);
            long t = (long)vr * l.vector_row_tiles + tx;
            for (int half = 0; half < 2; half++) {
                int rows = half == 0 ? rows_a : rows_b;
                if (rows <= 0) continue;
                // Lanes 8–15: 32 output columns on, or 4 output rows down.
                int x = 4 * tx + (l.stacked ? 0 : 32 * half), y = 4 * ty + (l.stacked ? 4 * half : 0);
                for (int o = begin; o < end; o++) {
                    __m256 bias = _mm256_set1_ps(layer->bias ? layer->bias[o] : 0.0f);
                    __m256 yv[4][2][2];     // [phase][a][b]
                    for (int phase = 0; phase < 4; phase++) {
                        __m256 mv[9];
                        for (int xi = 0; xi < 9; xi++) {
                            mv[xi] = _mm256_loadu_ps(b->m + (phase * 9 + xi) * b->m_stride + o * b->tiles + t + 8 * half);
                        }
                        output_transform8(mv, yv[phase]);
                        for (int a = 0; a < 2; a++) {
                            for (int c = 0; c < 2; c++) {
                                yv[phase][a][c] = winograd_activate8(_mm256_add_ps(yv[phase][a][c], bias), layer->activation,
                                                            slope);
                            }
                        }
                    }
                    for (int a = 0; a < 2; a++) {
                        for (int py = 0; py < 2; py++) {
                            int r = 2 * a + py;     // output row y + r
                            if (r >= rows) continue;
                            // Output column 4t + j: j = 2·bx + px.
                            __m256 z[4] = {yv[py * 2][a][0], yv[py * 2 + 1][a][0], yv[py * 2][a][1],
                                           yv[py * 2 + 1][a][1]};
                            store_quads(layer->output + o * out_plane + (long)(y + r) * out_w, x, out_w, z);
                        }
                    }
                }
            }
        }
    }
}
#endif
