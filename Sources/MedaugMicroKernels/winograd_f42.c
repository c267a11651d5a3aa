// Winograd F(4×4, 2×2) for pix2pix's 4×4 stride-2 padding-1 convolutions
// and transposed convolutions: the band drivers, shared by every tier, and
// the AVX-512 transforms (winograd_f42_avx2.c and winograd_f42_neon.c hold
// the other tiers', winograd_weights.c the weight transforms).
// winograd_f42.h says what a parity class, a phase and a quad are.
//
// Convolution: output row y reads input rows 2y − 1 … 2y + 2 (winograd_f22.c),
// so with P_a the input rows 2j − 1 + a (zero outside the image), the taps
// (a, a + 2) meet P_a[y] and P_a[y + 1]; likewise for columns. The layer is
// the 4 parity classes (a, b) × a 2×2 correlation of P_ab, summed: one
// F(4×4, 2×2) with 4·cin input channels, U[ξ][cout][(a·2 + b)·cin + i], 25
// GEMMs.
//
// Transposed convolution: output row 2y + py reads the input rows
// y − 1 + py and y + py (winograd_f22.c), so with Q, the input padded by one
// row and column of zeros in front, phase (py, px) is the 2×2 correlation
// of Q from (py, px) with the kernel taps of that phase. A band's 4 phases ×
// 25 points give 100 GEMMs U[phase][ξ] (cout × cin) · V[phase][ξ] (cin ×
// tiles), and the output step stores the phases (py, 0) and (py, 1)
// together, interleaving their columns in registers.
//
// Both use F(4×4, 2×2) from interpolation points 0, 1, −1, 2 and ∞ (Lavin
// & Gray, 2015; derived and checked in exact arithmetic):
//   Bᵀ = [[2, −1, −2, 1, 0], [0, −2, −1, 1, 0], [0, 2, −3, 1, 0],
//         [0, −1, 0, 1, 0], [0, 2, −1, −2, 1]],
//   G  = [[½, 0], [−½, −½], [−⅙, ⅙], [⅙, ⅓], [0, 1]],
//   Aᵀ = [[1, 1, 1, 1, 0], [0, 1, −1, 2, 0], [0, 1, 1, 4, 0], [0, 1, −1, 8, 1]].
// Relative error against a direct sum in float32: ~4e-7 on random data
// (F(4×4, 3×3): ~1e-6 to 1e-5).
//
// Every tier computes the 1-D transforms in the same order:
//   input:  s = d3 − d1; r0 = 2(d0 − d2) + s; r1 = s − (d1 + d2);
//           r2 = 3(d1 − d2) + s; r3 = s; r4 = −2s + (d4 − d2)
//   output: a = m1 + m2; b = m1 − m2; y0 = (m0 + a) + m3; y1 = 2m3 + b;
//           y2 = 4m3 + a; y3 = (8m3 + b) + m4
// (products added by fused multiply-adds).
#include "md_microkernels.h"

#include "winograd_f42.h"

long md_winograd_f42_transposed_scratch(int cin, int cout, int w, int tile_rows) {
    return winograd_scratch_of(quad_band_tiles(w, tile_rows), 100, cin, cout) +
           (long)cin * quad_padded_floats(w, tile_rows);
}

long md_winograd_f42_conv_scratch(int cin, int cout, int out_w, int tile_rows) {
    return winograd_scratch_of(quad_band_tiles(out_w, tile_rows), 25, 4 * cin, cout) +
           4L * cin * quad_padded_floats(out_w, tile_rows);
}

// The convolution's input step, channels [begin, end): each channel's four
// parity planes of the band (4·tile_rows + 1 rows of P_ab from row
// 4·tile_row_begin on, quad_padded_width(out_w) columns) are copied out of
// the input rows, then transformed as 4 input channels of the correlation.
static void conv_input(const md_winograd_layer *layer, const winograd_band *b, float *padded, int begin, int end,
                       winograd_quad_input_block block) {
    int h = layer->h, w = layer->w, out_w = w / 2, cin = layer->cin;
    int tile_rows = b->tile_row_end - b->tile_row_begin, rows = 4 * tile_rows + 1;
    long plane = (long)h * w, width = quad_padded_width(out_w), floats = quad_padded_floats(out_w, tile_rows);
    // Columns of P_a0 (input columns 2i − 1) and of P_a1 (2i) inside the image.
    int odd_end = w / 2 + 1, even_end = (w + 1) / 2;
    for (int c = begin; c < end; c++) {
        float *planes = padded + 4L * c * floats;   // P_00, P_01, P_10, P_11
        for (int a = 0; a < 2; a++) {
            for (int r = 0; r < rows; r++) {
                int y = 2 * (4 * b->tile_row_begin + r) - 1 + a;
                float *odd = planes + (2 * a) * floats + r * width, *even = odd + floats;
                if (y < 0 || y >= h) {
                    memset(odd, 0, width * sizeof(float));
                    memset(even, 0, width * sizeof(float));
                    continue;
                }
                const float *source = layer->input + c * plane + (long)y * w;
                odd[0] = 0.0f;
                for (int i = 1; i < odd_end; i++) odd[i] = source[2 * i - 1];
                for (int i = 0; i < even_end; i++) even[i] = source[2 * i];
                memset(odd + odd_end, 0, (width - odd_end) * sizeof(float));
                memset(even + even_end, 0, (width - even_end) * sizeof(float));
            }
        }
        for (int parity = 0; parity < 4; parity++) {
            quad_input_blocks(b, out_w, planes + parity * floats, b->v + 32L * (parity * cin + c), block);
        }
    }
}

// The transposed convolution's input step, channels [begin, end): each
// channel's band rows are copied padded (winograd_quads.h; Q's row and column of zeros in front
// are the copy's), then every phase's quads start py rows and px columns
// into the copy.
static void transposed_input(const md_winograd_layer *layer, const winograd_band *b, float *padded, int begin,
                            int end, winograd_quad_input_block block) {
    int h = layer->h, w = layer->w, tile_rows = b->tile_row_end - b->tile_row_begin;
    long plane = (long)h * w, width = quad_padded_width(w);
    for (int c = begin; c < end; c++) {
        float *copy = padded + c * quad_padded_floats(w, tile_rows);
        quad_copy_rows(b, layer->input + c * plane, h, w, copy);
        for (int phase = 0; phase < 4; phase++) {
            quad_input_blocks(b, w, copy + (phase / 2) * width + phase % 2,
                              b->v + (long)phase * 25 * b->v_stride + 32 * c, block);
        }
    }
}

// The transposed convolution's output step, output channels [begin, end):
// quads whose 4×16 tile positions lie inside the input grid write their
// 8×32 output pixels in place, the others through a copy of which only the
// inside is stored (quad_store_staged).
static void transposed_output(const md_winograd_layer *layer, const winograd_band *b, int begin, int end,
                             winograd_f42_output_block block) {
    int h = layer->h, w = layer->w, out_w = 2 * w;
    long plane = 4L * h * w;
    float staged[4][4 * 32];
    for (long t = 0; t < b->tiles; t += 16) {
        int top[4], left[4], inside[4];
        for (int i = 0; i < 4; i++) {
            quad_origin(b, w, t / 4 + i, &top[i], &left[i]);
            inside[i] = top[i] >= 0 && top[i] + 4 <= h && left[i] + 16 <= w;
        }
        for (int o = begin; o < end; o++) {
            float *target = layer->output + o * plane;
            for (int py = 0; py < 2; py++) {
                float *out[4];
                long stride[4];
                for (int i = 0; i < 4; i++) {
                    int direct = inside[i];
                    out[i] = direct ? target + (long)(2 * top[i] + py) * out_w + 2 * left[i] : staged[i];
                    stride[i] = direct ? 2L * out_w : 32;
                }
                block(b->m + (long)py * 50 * b->m_stride + o * b->tiles + t, b->m_stride, 25 * b->m_stride, out,
                      stride, layer->bias ? layer->bias[o] : 0.0f, layer->activation, layer->slope);
                for (int i = 0; i < 4; i++) {
                    if (inside[i] || top[i] < 0) continue;
                    int rows = h - top[i] < 4 ? h - top[i] : 4, columns = 2 * (w - left[i] < 16 ? w - left[i] : 16);
                    quad_store_staged(staged[i], 32, target + (long)(2 * top[i] + py) * out_w + 2 * left[i],
                                      2L * out_w, rows, columns);
                }
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f")))

// r = Bᵀ d for five vectors, in the order of the header comment.
static inline TARGET void input_1d(const __m512 d[5], __m512 r[5]) {
    __m512 s = _mm512_sub_ps(d[3], d[1]);
    r[0] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), _mm512_sub_ps(d[0], d[2]), s);
    r[1] = _mm512_sub_ps(s, _mm512_add_ps(d[1], d[2]));
    r[2] = _mm512_fmadd_ps(_mm512_set1_ps(3.0f), _mm512_sub_ps(d[1], d[2]), s);
    r[3] = s;
    r[4] = _mm512_fmadd_ps(_mm512_set1_ps(-2.0f), s, _mm512_sub_ps(d[4], d[2]));
}

// o = Aᵀ m for five vectors.
static inline TARGET void output_1d(const __m512 m[5], __m512 o[4]) {
    __m512 a = _mm512_add_ps(m[1], m[2]), b = _mm512_sub_ps(m[1], m[2]);
    o[0] = _mm512_add_ps(_mm512_add_ps(m[0], a), m[3]);
    o[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), m[3], b);
    o[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), m[3], a);
    o[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), m[3], b), m[4]);
}

// The block's 16 columns in lane order 4k + i = quad i's tile k.
static TARGET void input_block(const float *const in[4], const long in_stride[4], float *v, long xi_stride) {
    __m512 t[5][5];
    for (int r = 0; r < 5; r++) {
        __m512 a[4], b[4], c[5];
        for (int i = 0; i < 4; i++) {
            const float *row = in[i] + r * in_stride[i];
            a[i] = _mm512_loadu_ps(row);       // tile k's columns 0–3 in lane k
            b[i] = _mm512_loadu_ps(row + 2);   // tile k's columns 2–5
        }
        transpose_lanes(a, c);
        __m512 u1 = _mm512_unpackhi_ps(b[0], b[1]), u3 = _mm512_unpackhi_ps(b[2], b[3]);
        c[4] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(u1), _mm512_castps_pd(u3)));
        input_1d(c, t[r]);
    }
    for (int j = 0; j < 5; j++) {
        __m512 column[5] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j]}, r[5];
        input_1d(column, r);
        for (int a = 0; a < 5; a++) _mm512_storeu_ps(v + (a * 5 + j) * xi_stride, r[a]);
    }
}

// One phase's 4×4 outputs y[r][c] (lane 4k + i = quad i's tile k), bias
// and activation applied.
static inline TARGET void output_phase(const float *m, long xi_stride, __m512 vbias, int activation, __m512 vslope,
                                       __m512 y[4][4]) {
    __m512 s[5][4];
    for (int a = 0; a < 5; a++) {
        __m512 row[5];
        for (int j = 0; j < 5; j++) row[j] = _mm512_loadu_ps(m + (a * 5 + j) * xi_stride);
        output_1d(row, s[a]);
    }
    for (int c = 0; c < 4; c++) {
        __m512 column[5] = {s[0][c], s[1][c], s[2][c], s[3][c], s[4][c]}, o[4];
        output_1d(column, o);
        for (int r = 0; r < 4; r++) y[r][c] = winograd_activate(_mm512_add_ps(o[r], vbias), activation, vslope);
    }
}

static TARGET void output_block(const float *m, long xi_stride, long phase_stride, float *const out[4],
                                const long out_stride[4], float bias, int activation, float slope) {
    const __m512i low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i high = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    __m512 vbias = _mm512_set1_ps(bias), vslope = _mm512_set1_ps(slope);
    __m512 even[4][4], odd[4][4];
    output_phase(m, xi_stride, vbias, activation, vslope, even);
    output_phase(m + phase_stride, xi_stride, vbias, activation, vslope, odd);
    for (int r = 0; r < 4; r++) {
        __m512 e[4], o[4];
        transpose_lanes(even[r], e);   // quad i's 16 tile columns of row r, phase px = 0
        transpose_lanes(odd[r], o);
        for (int i = 0; i < 4; i++) {
            float *row = out[i] + r * out_stride[i];
            _mm512_storeu_ps(row, _mm512_permutex2var_ps(e[i], low, o[i]));
            _mm512_storeu_ps(row + 16, _mm512_permutex2var_ps(e[i], high, o[i]));
        }
    }
}

// The convolution's output: one set of 4×4 tiles, quad i's 4×16 pixels.
static TARGET void conv_output_block(const float *m, long xi_stride, float *const out[4], const long out_stride[4],
                                     float bias, int activation, float slope) {
    __m512 y[4][4];
    output_phase(m, xi_stride, _mm512_set1_ps(bias), activation, _mm512_set1_ps(slope), y);
    for (int r = 0; r < 4; r++) {
        __m512 quads[4];
        transpose_lanes(y[r], quads);
        for (int i = 0; i < 4; i++) _mm512_storeu_ps(out[i] + r * out_stride[i], quads[i]);
    }
}
#endif

int md_winograd_f42_conv(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end, int begin,
                         int end, float *scratch) {
    int tier = md_cpu_tier();
    winograd_quad_input_block input = 0;
    winograd_quad_output_block output = 0;
#if defined(__x86_64__)
    if (tier == MD_CPU_AVX512) input = input_block, output = conv_output_block;
    if (tier == MD_CPU_AVX2) input = md_winograd_f42_input_avx2, output = md_winograd_f42_conv_output_avx2;
#elif defined(__aarch64__)
    if (tier == MD_CPU_NEON) input = md_winograd_f42_input_neon, output = md_winograd_f42_conv_output_neon;
#endif
    if (!input) return 0;
    md_count_run(MD_FAMILY_STRIDED_WINOGRAD_F42, tier);
    if (layer->cin <= 0 || layer->cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    int out_h = layer->h / 2, out_w = layer->w / 2;
    winograd_band b = winograd_band_with_tiles(quad_band_tiles(out_w, tile_row_end - tile_row_begin),
                                               tile_row_begin, tile_row_end, 25, 4 * layer->cin, layer->cout,
                                               scratch);
    int all = step == MD_WINOGRAD_ALL;
    float *padded = b.m + 25 * b.m_stride;
    if (all || step == MD_WINOGRAD_INPUT) conv_input(layer, &b, padded, all ? 0 : begin, all ? layer->cin : end, input);
    if (all || step == MD_WINOGRAD_MULTIPLY) winograd_multiply(layer, &b, all ? 0 : begin, all ? layer->cout : end);
    if (all || step == MD_WINOGRAD_OUTPUT) {
        quad_output_blocks(layer, &b, out_h, out_w, all ? 0 : begin, all ? layer->cout : end, output);
    }
    return 1;
}

int md_winograd_f42_transposed(const md_winograd_layer *layer, int step, int tile_row_begin, int tile_row_end,
                               int begin, int end, float *scratch) {
    int tier = md_cpu_tier();
    winograd_quad_input_block input = 0;
    winograd_f42_output_block output = 0;
#if defined(__x86_64__)
    if (tier == MD_CPU_AVX512) input = input_block, output = output_block;
    if (tier == MD_CPU_AVX2) input = md_winograd_f42_input_avx2, output = md_winograd_f42_output_avx2;
#elif defined(__aarch64__)
    if (tier == MD_CPU_NEON) input = md_winograd_f42_input_neon, output = md_winograd_f42_output_neon;
#endif
    if (!input) return 0;
    md_count_run(MD_FAMILY_STRIDED_WINOGRAD_F42, tier);
    if (layer->cin <= 0 || layer->cout <= 0 || tile_row_end <= tile_row_begin) return 1;
    winograd_band b = winograd_band_with_tiles(quad_band_tiles(layer->w, tile_row_end - tile_row_begin),
                                               tile_row_begin, tile_row_end, 100, layer->cin, layer->cout, scratch);
    int all = step == MD_WINOGRAD_ALL;
    float *padded = b.m + 100 * b.m_stride;
    if (all || step == MD_WINOGRAD_INPUT) {
        transposed_input(layer, &b, padded, all ? 0 : begin, all ? layer->cin : end, input);
    }
    if (all || step == MD_WINOGRAD_MULTIPLY) winograd_multiply(layer, &b, all ? 0 : begin, all ? layer->cout : end);
    if (all || step == MD_WINOGRAD_OUTPUT) {
        transposed_output(layer, &b, all ? 0 : begin, all ? layer->cout : end, output);
    }
    return 1;
}
