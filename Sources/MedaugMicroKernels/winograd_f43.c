// Winograd F(4×4, 3×3) (Lavin & Gray, 2015): the band driver, shared by
// every tier, and the AVX-512 transforms. A 4×4 output tile costs 36
// multiply-adds per channel pair instead of 144 (4× fewer; F(2×2, 3×3)
// gives 2.25×), and the transformed input and output per output pixel are
// 2.25 floats instead of 4, paid for with larger transforms and constants
// (¼, ⅙, 1/12, 1/24 in G) that cost accuracy: relative error ~1e-6 to 1e-5
// in float32 against ~1e-7 for F(2×2, 3×3). winograd_f43.h explains the
// quads and blocks.
//
//   Bᵀ = [[4, 0, −5, 0, 1, 0], [0, −4, −4, 1, 1, 0], [0, 4, −4, −1, 1, 0],
//         [0, −2, −1, 2, 1, 0], [0, 2, −1, −2, 1, 0], [0, 4, 0, −5, 0, 1]]
//   Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, −1, 2, −2, 0], [0, 1, 1, 4, 4, 0],
//         [0, 1, −1, 8, −8, 1]]
#include "md_microkernels.h"

#include "winograd_f43.h"

long md_winograd_f43_scratch(int cin, int cout, int w, int tile_rows) {
    return winograd_scratch_of(quad_band_tiles(w, tile_rows), 36, cin, cout) +
           (long)cin * quad_padded_floats(w, tile_rows);
}

// The input step, channels [begin, end), from each channel's padded copy
// of the band rows (winograd_quads.h).
static void transform_input(const md_winograd_layer *layer, const winograd_band *b, float *padded, int begin,
                            int end, winograd_quad_input_block block) {
    int h = layer->h, w = layer->w, tile_rows = b->tile_row_end - b->tile_row_begin;
    long plane = (long)h * w;
    for (int c = begin; c < end; c++) {
        float *copy = padded + c * quad_padded_floats(w, tile_rows);
        quad_copy_rows(b, layer->input + c * plane, h, w, copy);
        quad_input_blocks(b, w, copy, b->v + 32 * c, block);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

// r = Bᵀ d for six vectors.
static inline TARGET void input_1d(const __m512 d[6], __m512 r[6]) {
    const __m512 four = _mm512_set1_ps(4.0f), minus4 = _mm512_set1_ps(-4.0f), minus5 = _mm512_set1_ps(-5.0f);
    __m512 s1 = _mm512_fmadd_ps(minus4, d[2], d[4]), s2 = _mm512_fmadd_ps(minus4, d[1], d[3]);
    __m512 s3 = _mm512_sub_ps(d[4], d[2]), s4 = _mm512_sub_ps(d[3], d[1]);
    s4 = _mm512_add_ps(s4, s4);
    r[0] = _mm512_fmadd_ps(four, d[0], _mm512_fmadd_ps(minus5, d[2], d[4]));
    r[1] = _mm512_add_ps(s1, s2);
    r[2] = _mm512_sub_ps(s1, s2);
    r[3] = _mm512_add_ps(s3, s4);
    r[4] = _mm512_sub_ps(s3, s4);
    r[5] = _mm512_fmadd_ps(four, d[1], _mm512_fmadd_ps(minus5, d[3], d[5]));
}

// o = Aᵀ m for six vectors.
static inline TARGET void output_1d(const __m512 m[6], __m512 o[4]) {
    __m512 a = _mm512_add_ps(m[1], m[2]), b = _mm512_sub_ps(m[1], m[2]);
    __m512 c = _mm512_add_ps(m[3], m[4]), d = _mm512_sub_ps(m[3], m[4]);
    o[0] = _mm512_add_ps(_mm512_add_ps(m[0], a), c);
    o[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d, b);
    o[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), c, a);
    o[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), d, b), m[5]);
}

// The block's 16 columns in lane order 4k + i = quad i's tile k.
static TARGET void input_block(const float *const in[4], const long in_stride[4], float *v, long xi_stride) {
    __m512 t[6][6];
    for (int r = 0; r < 6; r++) {
        __m512 a[4], b[4], c[6];
        for (int i = 0; i < 4; i++) {
            const float *row = in[i] + r * in_stride[i];
            a[i] = _mm512_loadu_ps(row);       // tile k's columns 0–3 in lane k
            b[i] = _mm512_loadu_ps(row + 2);   // tile k's columns 2–5
        }
        transpose_lanes(a, c);
        __m512 u1 = _mm512_unpackhi_ps(b[0], b[1]), u3 = _mm512_unpackhi_ps(b[2], b[3]);
        c[4] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(u1), _mm512_castps_pd(u3)));
        c[5] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(u1), _mm512_castps_pd(u3)));
        input_1d(c, t[r]);
    }
    for (int j = 0; j < 6; j++) {
        __m512 column[6] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]}, r[6];
        input_1d(column, r);
        for (int a = 0; a < 6; a++) _mm512_storeu_ps(v + (a * 6 + j) * xi_stride, r[a]);
    }
}

static TARGET void output_block(const float *m, long xi_stride, float *const out[4], const long out_stride[4],
                                float bias, int activation, float slope) {
    __m512 s[6][4];
    for (int a = 0; a < 6; a++) {
        __m512 row[6];
        for (int j = 0; j < 6; j++) row[j] = _mm512_loadu_ps(m + (a * 6 + j) * xi_stride);
        output_1d(row, s[a]);
    }
    __m512 y[4][4], vbias = _mm512_set1_ps(bias), vslope = _mm512_set1_ps(slope);
    for (int c = 0; c < 4; c++) {
        __m512 column[6] = {s[0][c], s[1][c], s[2][c], s[3][c], s[4][c], s[5][c]}, o[4];
        output_1d(column, o);
        for (int r = 0; r < 4; r++) y[r][c] = winograd_activate(_mm512_add_ps(o[r], vbias), activation, vslope);
    }
    for (int r = 0; r < 4; r++) {
        __m512 quads[4];
        transpose_lanes(y[r], quads);   // quad i's 16 output columns of row r
        for (int i = 0; i < 4; i++) _mm512_storeu_ps(out[i] + r * out_stride[i], quads[i]);
    }
}
#endif

int md_winograd_f43(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end, int begin,
                    int end, float *scratch) {
    int tier = md_cpu_tier();
    winograd_quad_input_block input = 0;
    winograd_quad_output_block output = 0;
#if defined(__x86_64__)
    if (tier == MD_CPU_AVX512) input = input_block, output = output_block;
    if (tier == MD_CPU_AVX2) input = md_winograd_f43_input_avx2, output = md_winograd_f43_output_avx2;
#elif defined(__aarch64__)
    if (tier == MD_CPU_NEON) input = md_winograd_f43_input_neon, output = md_winograd_f43_output_neon;
#endif
    if (!input) return 0;
    md_count_run(MD_FAMILY_WINOGRAD_F43, tier);
    if (layer->cin <= 0 || layer->cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    winograd_band b = winograd_band_with_tiles(quad_band_tiles(layer->w, tile_row_end - tile_row_begin), tile_row_begin,
                                               tile_row_end, 36, layer->cin, layer->cout, scratch);
    int all = step == MD_WINOGRAD_ALL;
    float *padded = b.m + 36 * b.m_stride;
    if (all || step == MD_WINOGRAD_INPUT) {
        transform_input(layer, &b, padded, all ? 0 : begin, all ? layer->cin : end, input);
    }
    if (all || step == MD_WINOGRAD_MULTIPLY) winograd_multiply(layer, &b, all ? 0 : begin, all ? layer->cout : end);
    if (all || step == MD_WINOGRAD_OUTPUT) {
        quad_output_blocks(layer, &b, layer->h, layer->w, all ? 0 : begin, all ? layer->cout : end, output);
    }
    return 1;
}
