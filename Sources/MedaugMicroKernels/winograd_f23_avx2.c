// Winograd F(2×2, 3×3), AVX2 + FMA tier: winograd_f23.c's band layout and
// transforms, each vector of 16 tiles handled as two halves of 8 lanes.
// Lanes 0–7 of a vector are its first 8 tiles; lanes 8–15 the next 8 tiles
// of the same tile row, or, stacked, the first 8 tiles of the next tile row
// (winograd_common.h). The GEMMs are winograd_multiply's (the AVX2 strips
// kernel on this tier).
#include "md_microkernels.h"

#include "winograd_avx2.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// 16 floats of `row` from column x (zero outside the image), split into the
// even and odd columns.
static inline TARGET void load_pairs(const float *row, int x, int w, int row_inside, __m256 *even, __m256 *odd) {
    __m256 lo = winograd_load8(row, x, w, row_inside);
    __m256 hi = winograd_load8(row, x + 8, w, row_inside);
    // [v0 v2 v8 v10 | v4 v6 v12 v14] → [v0 v2 v4 v6 v8 v10 v12 v14].
    __m256 e = _mm256_shuffle_ps(lo, hi, 0x88), o = _mm256_shuffle_ps(lo, hi, 0xDD);
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8));
}

// V[ξ] = Bᵀ d B for 8 tiles whose columns start at x (columns 2t−1 … 2t+2
// of tile t) and rows at `top`, into v (matrices xi_stride apart).
static TARGET void input_tiles8(const float *plane, int h, int w, int top, int x, float *v, long k_stride,
                                long xi_stride) {
    (void)k_stride;
    __m256 t[4][4];
    for (int r = 0; r < 4; r++) {
        int y = top + r, inside = y >= 0 && y < h;
        const float *row = plane + (long)(inside ? y : 0) * w;
        __m256 c[4];
        load_pairs(row, x, w, inside, &c[0], &c[1]);
        load_pairs(row, x + 2, w, inside, &c[2], &c[3]);
        t[r][0] = _mm256_sub_ps(c[0], c[2]);
        t[r][1] = _mm256_add_ps(c[1], c[2]);
        t[r][2] = _mm256_sub_ps(c[2], c[1]);
        t[r][3] = _mm256_sub_ps(c[1], c[3]);
    }
    for (int j = 0; j < 4; j++) {
        _mm256_storeu_ps(v + (0 * 4 + j) * xi_stride, _mm256_sub_ps(t[0][j], t[2][j]));
        _mm256_storeu_ps(v + (1 * 4 + j) * xi_stride, _mm256_add_ps(t[1][j], t[2][j]));
        _mm256_storeu_ps(v + (2 * 4 + j) * xi_stride, _mm256_sub_ps(t[2][j], t[1][j]));
        _mm256_storeu_ps(v + (3 * 4 + j) * xi_stride, _mm256_sub_ps(t[1][j], t[3][j]));
    }
}

void md_winograd_f23_input_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    winograd_input_groups(layer, b, begin, end, 8, 2, 0, input_tiles8);
}

// Y = Aᵀ M A for 8 tiles of one output channel, + bias, activation; the 2×2
// tiles interleaved back into 16 floats of each of the first `rows` (≤ 2)
// output rows from `row0` (columns x…x+15, those inside [0, w) stored).
static TARGET void output_tiles8(const float *m, long xi_stride, float *row0, int rows, int x, int w, __m256 bias,
                                 int activation, __m256 slope) {
    __m256 a0[4], a1[4];
    for (int c = 0; c < 4; c++) {
        __m256 m0 = _mm256_loadu_ps(m + (0 * 4 + c) * xi_stride), m1 = _mm256_loadu_ps(m + (1 * 4 + c) * xi_stride);
        __m256 m2 = _mm256_loadu_ps(m + (2 * 4 + c) * xi_stride), m3 = _mm256_loadu_ps(m + (3 * 4 + c) * xi_stride);
        a0[c] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
        a1[c] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
    }
    for (int r = 0; r < rows; r++) {
        const __m256 *a = r == 0 ? a0 : a1;
        __m256 left = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), a[2]), bias);
        __m256 right = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(a[1], a[2]), a[3]), bias);
        left = winograd_activate8(left, activation, slope);
        right = winograd_activate8(right, activation, slope);
        // [l0 r0 l1 r1 | l4 r4 l5 r5] and [l2 r2 l3 r3 | l6 r6 l7 r7].
        __m256 lo = _mm256_unpacklo_ps(left, right), hi = _mm256_unpackhi_ps(left, right);
        float *row = row0 + (long)r * w;
        winograd_store8(row, x, w, _mm256_permute2f128_ps(lo, hi, 0x20));
        winograd_store8(row, x + 8, w, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
}

TARGET void md_winograd_f23_output_avx2(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    int h = layer->h, w = layer->w;
    winograd_lanes l = b->lanes;
    long plane = (long)h * w;
    __m256 slope = _mm256_set1_ps(layer->slope);
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        for (int vr = 0; vr < b->vector_rows; vr++) {
            int ty = b->tile_row_begin + vr * l.rows_per_vector;
            int rows_a, rows_b;
            winograd_rows_to_store(l, ty, b->tile_row_end, 2, h, 2, &rows_a, &rows_b);
            long t = (long)vr * l.vector_row_tiles + tx;
            for (int half = 0; half < 2; half++) {
                int rows = half == 0 ? rows_a : rows_b;
                if (rows <= 0) continue;
                int x = 2 * tx + (l.stacked ? 0 : 16 * half), y = 2 * ty + (l.stacked ? 2 * half : 0);
                for (int o = begin; o < end; o++) {
                    __m256 bias = _mm256_set1_ps(layer->bias ? layer->bias[o] : 0.0f);
                    output_tiles8(b->m + o * b->tiles + t + 8 * half, b->m_stride, layer->output + o * plane + (long)y * w,
                                  rows, x, w, bias, layer->activation, slope);
                }
            }
        }
    }
}
#endif
