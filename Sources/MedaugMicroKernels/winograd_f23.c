#include "md_microkernels.h"

#include "winograd_common.h"
#include "winograd_avx2.h"

#define TARGET WINOGRAD_TARGET

long md_winograd_f23_scratch(int cin, int cout, int w, int tile_rows) {
    return winograd_band_scratch((w + 1) / 2, tile_rows, 16, cin, cout);
}

#if defined(__x86_64__)
// V[ξ] for 16 tiles of one channel: the 4×4 input tiles d (zero outside the
// image) become Bᵀ d B, Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0],
// [0, 1, 0, −1]]. Tile t's columns are input columns 2t−1 … 2t+2
// (winograd_load_columns).
static TARGET void input_tiles(const float *plane, int h, int w, int top, int x, const winograd_columns *columns,
                               float *v, long xi_stride) {
    __m512 t[4][4];
    for (int r = 0; r < 4; r++) {
        __m512 c[4];
        winograd_load_columns(plane, h, w, top + r, x, columns, c);
        t[r][0] = _mm512_sub_ps(c[0], c[2]);
        t[r][1] = _mm512_add_ps(c[1], c[2]);
        t[r][2] = _mm512_sub_ps(c[2], c[1]);
        t[r][3] = _mm512_sub_ps(c[1], c[3]);
    }
    for (int j = 0; j < 4; j++) {
        _mm512_storeu_ps(v + (0 * 4 + j) * xi_stride, _mm512_sub_ps(t[0][j], t[2][j]));
        _mm512_storeu_ps(v + (1 * 4 + j) * xi_stride, _mm512_add_ps(t[1][j], t[2][j]));
        _mm512_storeu_ps(v + (2 * 4 + j) * xi_stride, _mm512_sub_ps(t[2][j], t[1][j]));
        _mm512_storeu_ps(v + (3 * 4 + j) * xi_stride, _mm512_sub_ps(t[1][j], t[3][j]));
    }
}

// Y = Aᵀ M A for 16 tiles of one output channel, Aᵀ = [[1, 1, 1, 0],
// [0, 1, −1, −1]], then bias and activation; the 2×2 tiles are interleaved
// back into output rows: lanes 0–7 give 16 floats at `row0`, lanes 8–15 16
// floats `half` floats further (16 columns on, or the next tile row when
// stacked), each half for its first `rows_a` / `rows_b` (≤ 2) rows.
static TARGET void output_tiles(const float *m, long xi_stride, float *row0, int rows_a, int rows_b, long half,
                                int w, __mmask16 store0, __mmask16 store1, __m512 bias, int activation,
                                __m512 slope) {
    const __m512i low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i high = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    __m512 a0[4], a1[4];
    for (int c = 0; c < 4; c++) {
        __m512 m0 = _mm512_loadu_ps(m + (0 * 4 + c) * xi_stride), m1 = _mm512_loadu_ps(m + (1 * 4 + c) * xi_stride);
        __m512 m2 = _mm512_loadu_ps(m + (2 * 4 + c) * xi_stride), m3 = _mm512_loadu_ps(m + (3 * 4 + c) * xi_stride);
        a0[c] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
        a1[c] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
    }
    for (int r = 0; r < 2; r++) {
        const __m512 *a = r == 0 ? a0 : a1;
        __m512 left = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]), bias);
        __m512 right = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(a[1], a[2]), a[3]), bias);
        left = winograd_activate(left, activation, slope);
        right = winograd_activate(right, activation, slope);
        float *row = row0 + (long)r * w;
        if (r < rows_a) _mm512_mask_storeu_ps(row, store0, _mm512_permutex2var_ps(left, low, right));
        if (r < rows_b) _mm512_mask_storeu_ps(row + half, store1, _mm512_permutex2var_ps(left, high, right));
    }
}

static void transform_input(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    winograd_transform_pairs(layer, b, begin, end, input_tiles);
}

static TARGET void transform_output(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    int h = layer->h, w = layer->w;
    winograd_lanes l = b->lanes;
    long plane = (long)h * w;
    __m512 slope = _mm512_set1_ps(layer->slope);
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        int x = 2 * tx;
        __mmask16 store0 = winograd_inside(x, w), store1 = l.stacked ? store0 : winograd_inside(x + 16, w);
        for (int vr = 0; vr < b->vector_rows; vr++) {
            int ty = b->tile_row_begin + vr * l.rows_per_vector, y = 2 * ty;
            int rows_a, rows_b;
            winograd_rows_to_store(l, ty, b->tile_row_end, 2, h, 2, &rows_a, &rows_b);
            long t = (long)vr * l.vector_row_tiles + tx;
            for (int o = begin; o < end; o++) {
                __m512 bias = _mm512_set1_ps(layer->bias ? layer->bias[o] : 0.0f);
                output_tiles(b->m + o * b->tiles + t, b->m_stride, layer->output + o * plane + (long)y * w + x,
                             rows_a, rows_b, l.stacked ? 2L * w : 16, w, store0, store1, bias, layer->activation,
                             slope);
            }
        }
    }
}

int md_winograd_f23(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end,
                    int begin, int end, float *scratch) {
    int tier = md_cpu_tier();
    if (tier != MD_CPU_AVX512 && tier != MD_CPU_AVX2) return 0;
    md_count_run(MD_FAMILY_WINOGRAD, tier);
    if (layer->cin <= 0 || layer->cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    winograd_band b = winograd_band_of((layer->w + 1) / 2, tile_row_begin, tile_row_end, 16, layer->cin, layer->cout,
                                       scratch);
    if (tier == MD_CPU_AVX512) {
        winograd_run(layer, &b, step, begin, end, transform_input, transform_output);
    } else {
        winograd_run(layer, &b, step, begin, end, md_winograd_f23_input_avx2, md_winograd_f23_output_avx2);
    }
    return 1;
}
#else
// aarch64: the NEON tier (winograd_f23_neon.c); elsewhere none, and the
// engine does not select Winograd (CPUTier.runs(.winograd)).
#include "winograd_neon.h"

int md_winograd_f23(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end, int begin, int end,
                    float *scratch) {
#if defined(__aarch64__)
    if (md_cpu_tier() != MD_CPU_NEON) return 0;
    md_count_run(MD_FAMILY_WINOGRAD, MD_CPU_NEON);
    if (layer->cin <= 0 || layer->cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    winograd_band b = winograd_band_of((layer->w + 1) / 2, tile_row_begin, tile_row_end, 16, layer->cin, layer->cout,
                                       scratch);
    winograd_run(layer, &b, step, begin, end, md_winograd_f23_input_neon, md_winograd_f23_output_neon);
    return 1;
#else
    (void)layer, (void)step, (void)tile_row_begin, (void)tile_row_end, (void)begin, (void)end, (void)scratch;
    return 0;
#endif
}
#endif
