// Winograd F(4×4, 2×2), AVX2 + FMA tier: winograd_f42.c's transforms on 8
// lanes, in the column order of winograd_f43_avx2.c: a block of 4 quads is
// two halves of 2 quads, p = 2h and q = 2h + 1, and a half's 8 columns, in
// lane order 4k + s, are tile k + 2·(s mod 2) of quad p (s < 2) or q (s ≥ 2).
#include "md_microkernels.h"

#include "winograd_avx2.h"
#include "winograd_f42.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// r = Bᵀ d for five vectors, in winograd_f42.c's order.
static inline TARGET void input_1d(const __m256 d[5], __m256 r[5]) {
    __m256 s = _mm256_sub_ps(d[3], d[1]);
    r[0] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), _mm256_sub_ps(d[0], d[2]), s);
    r[1] = _mm256_sub_ps(s, _mm256_add_ps(d[1], d[2]));
    r[2] = _mm256_fmadd_ps(_mm256_set1_ps(3.0f), _mm256_sub_ps(d[1], d[2]), s);
    r[3] = s;
    r[4] = _mm256_fmadd_ps(_mm256_set1_ps(-2.0f), s, _mm256_sub_ps(d[4], d[2]));
}

// o = Aᵀ m for five vectors.
static inline TARGET void output_1d(const __m256 m[5], __m256 o[4]) {
    __m256 a = _mm256_add_ps(m[1], m[2]), b = _mm256_sub_ps(m[1], m[2]);
    o[0] = _mm256_add_ps(_mm256_add_ps(m[0], a), m[3]);
    o[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), m[3], b);
    o[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), m[3], a);
    o[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), m[3], b), m[4]);
}

// One half: quads p and q into 8 columns at v.
static TARGET void input_half(const float *p, long p_stride, const float *q, long q_stride, float *v, long xi_stride) {
    __m256 t[5][5];
    for (int r = 0; r < 5; r++) {
        const float *pr = p + r * p_stride, *qr = q + r * q_stride;
        // Tiles 0–1 and 2–3 of each quad: columns 0–3 and 2–5 of each tile.
        __m256 a[4] = {_mm256_loadu_ps(pr), _mm256_loadu_ps(pr + 8), _mm256_loadu_ps(qr), _mm256_loadu_ps(qr + 8)};
        __m256 b[4] = {_mm256_loadu_ps(pr + 2), _mm256_loadu_ps(pr + 10), _mm256_loadu_ps(qr + 2),
                       _mm256_loadu_ps(qr + 10)};
        __m256 c[5];
        transpose_lanes8(a, c);
        __m256 u1 = _mm256_unpackhi_ps(b[0], b[1]), u3 = _mm256_unpackhi_ps(b[2], b[3]);
        c[4] = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(u1), _mm256_castps_pd(u3)));
        input_1d(c, t[r]);
    }
    for (int j = 0; j < 5; j++) {
        __m256 column[5] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j]}, r[5];
        input_1d(column, r);
        for (int a = 0; a < 5; a++) _mm256_storeu_ps(v + (a * 5 + j) * xi_stride, r[a]);
    }
}

void md_winograd_f42_input_avx2(const float *const in[4], const long in_stride[4], float *v, long xi_stride) {
    input_half(in[0], in_stride[0], in[1], in_stride[1], v, xi_stride);
    input_half(in[2], in_stride[2], in[3], in_stride[3], v + 8, xi_stride);
}

// One phase's 4×4 outputs of a half, y[r][c], bias and activation applied.
static inline TARGET void output_phase(const float *m, long xi_stride, __m256 vbias, int activation, __m256 vslope,
                                       __m256 y[4][4]) {
    __m256 s[5][4];
    for (int a = 0; a < 5; a++) {
        __m256 row[5];
        for (int j = 0; j < 5; j++) row[j] = _mm256_loadu_ps(m + (a * 5 + j) * xi_stride);
        output_1d(row, s[a]);
    }
    for (int c = 0; c < 4; c++) {
        __m256 column[5] = {s[0][c], s[1][c], s[2][c], s[3][c], s[4][c]}, o[4];
        output_1d(column, o);
        for (int r = 0; r < 4; r++) y[r][c] = winograd_activate8(_mm256_add_ps(o[r], vbias), activation, vslope);
    }
}

// Stores 8 tile columns of phase 0 (e) and of phase 1 (o) as 16 output
// columns e0 o0 e1 o1 … at out.
static inline TARGET void store_interleaved(float *out, __m256 e, __m256 o) {
    __m256 low = _mm256_unpacklo_ps(e, o), high = _mm256_unpackhi_ps(e, o);
    _mm256_storeu_ps(out, _mm256_permute2f128_ps(low, high, 0x20));
    _mm256_storeu_ps(out + 8, _mm256_permute2f128_ps(low, high, 0x31));
}

static TARGET void output_half(const float *m, long xi_stride, long phase_stride, float *p, long p_stride, float *q,
                               long q_stride, float bias, int activation, float slope) {
    __m256 vbias = _mm256_set1_ps(bias), vslope = _mm256_set1_ps(slope);
    __m256 even[4][4], odd[4][4];
    output_phase(m, xi_stride, vbias, activation, vslope, even);
    output_phase(m + phase_stride, xi_stride, vbias, activation, vslope, odd);
    for (int r = 0; r < 4; r++) {
        __m256 e[4], o[4];
        transpose_lanes8(even[r], e);   // quad p's tile columns 0–7 and 8–15, then quad q's
        transpose_lanes8(odd[r], o);
        float *pr = p + r * p_stride, *qr = q + r * q_stride;
        store_interleaved(pr, e[0], o[0]);
        store_interleaved(pr + 16, e[1], o[1]);
        store_interleaved(qr, e[2], o[2]);
        store_interleaved(qr + 16, e[3], o[3]);
    }
}

void md_winograd_f42_output_avx2(const float *m, long xi_stride, long phase_stride, float *const out[4],
                                 const long out_stride[4], float bias, int activation, float slope) {
    output_half(m, xi_stride, phase_stride, out[0], out_stride[0], out[1], out_stride[1], bias, activation, slope);
    output_half(m + 8, xi_stride, phase_stride, out[2], out_stride[2], out[3], out_stride[3], bias, activation,
                slope);
}

static TARGET void conv_output_half(const float *m, long xi_stride, float *p, long p_stride, float *q, long q_stride,
                                    float bias, int activation, float slope) {
    __m256 y[4][4];
    output_phase(m, xi_stride, _mm256_set1_ps(bias), activation, _mm256_set1_ps(slope), y);
    for (int r = 0; r < 4; r++) {
        __m256 z[4];
        transpose_lanes8(y[r], z);   // quad p's columns 0–7 and 8–15, then quad q's
        _mm256_storeu_ps(p + r * p_stride, z[0]);
        _mm256_storeu_ps(p + r * p_stride + 8, z[1]);
        _mm256_storeu_ps(q + r * q_stride, z[2]);
        _mm256_storeu_ps(q + r * q_stride + 8, z[3]);
    }
}

void md_winograd_f42_conv_output_avx2(const float *m, long xi_stride, float *const out[4], const long out_stride[4],
                                      float bias, int activation, float slope) {
    conv_output_half(m, xi_stride, out[0], out_stride[0], out[1], out_stride[1], bias, activation, slope);
    conv_output_half(m + 8, xi_stride, out[2], out_stride[2], out[3], out_stride[3], bias, activation, slope);
}
#endif
