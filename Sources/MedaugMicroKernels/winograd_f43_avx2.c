// Winograd F(4×4, 3×3), AVX2 + FMA tier: winograd_f43.c's transforms on 8
// lanes. A block of 4 quads is two halves of 2 quads, p = 2h and q = 2h + 1;
// a half's 8 columns, in lane order 4k + s, are tile k + 2·(s mod 2) of quad
// p (s < 2) or q (s ≥ 2): the order the in-lane transposes give.
#include "md_microkernels.h"

#include "winograd_avx2.h"
#include "winograd_f43.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

// r = Bᵀ d for six vectors (winograd_f43.c).
static inline TARGET void input_1d(const __m256 d[6], __m256 r[6]) {
    const __m256 four = _mm256_set1_ps(4.0f), minus4 = _mm256_set1_ps(-4.0f), minus5 = _mm256_set1_ps(-5.0f);
    __m256 s1 = _mm256_fmadd_ps(minus4, d[2], d[4]), s2 = _mm256_fmadd_ps(minus4, d[1], d[3]);
    __m256 s3 = _mm256_sub_ps(d[4], d[2]), s4 = _mm256_sub_ps(d[3], d[1]);
    s4 = _mm256_add_ps(s4, s4);
    r[0] = _mm256_fmadd_ps(four, d[0], _mm256_fmadd_ps(minus5, d[2], d[4]));
    r[1] = _mm256_add_ps(s1, s2);
    r[2] = _mm256_sub_ps(s1, s2);
    r[3] = _mm256_add_ps(s3, s4);
    r[4] = _mm256_sub_ps(s3, s4);
    r[5] = _mm256_fmadd_ps(four, d[1], _mm256_fmadd_ps(minus5, d[3], d[5]));
}

// o = Aᵀ m for six vectors.
static inline TARGET void output_1d(const __m256 m[6], __m256 o[4]) {
    __m256 a = _mm256_add_ps(m[1], m[2]), b = _mm256_sub_ps(m[1], m[2]);
    __m256 c = _mm256_add_ps(m[3], m[4]), d = _mm256_sub_ps(m[3], m[4]);
    o[0] = _mm256_add_ps(_mm256_add_ps(m[0], a), c);
    o[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d, b);
    o[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), c, a);
    o[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), d, b), m[5]);
}

// One half: quads p and q into 8 columns at v.
static TARGET void input_half(const float *p, long p_stride, const float *q, long q_stride, float *v, long xi_stride) {
    __m256 t[6][6];
    for (int r = 0; r < 6; r++) {
        const float *pr = p + r * p_stride, *qr = q + r * q_stride;
        // Tiles 0–1 and 2–3 of each quad: columns 0–3 and 2–5 of each tile.
        __m256 a[4] = {_mm256_loadu_ps(pr), _mm256_loadu_ps(pr + 8), _mm256_loadu_ps(qr), _mm256_loadu_ps(qr + 8)};
        __m256 b[4] = {_mm256_loadu_ps(pr + 2), _mm256_loadu_ps(pr + 10), _mm256_loadu_ps(qr + 2),
                       _mm256_loadu_ps(qr + 10)};
        __m256 c[6];
        transpose_lanes8(a, c);
        __m256 u1 = _mm256_unpackhi_ps(b[0], b[1]), u3 = _mm256_unpackhi_ps(b[2], b[3]);
        c[4] = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(u1), _mm256_castps_pd(u3)));
        c[5] = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(u1), _mm256_castps_pd(u3)));
        input_1d(c, t[r]);
    }
    for (int j = 0; j < 6; j++) {
        __m256 column[6] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]}, r[6];
        input_1d(column, r);
        for (int a = 0; a < 6; a++) _mm256_storeu_ps(v + (a * 6 + j) * xi_stride, r[a]);
    }
}

void md_winograd_f43_input_avx2(const float *const in[4], const long in_stride[4], float *v, long xi_stride) {
    input_half(in[0], in_stride[0], in[1], in_stride[1], v, xi_stride);
    input_half(in[2], in_stride[2], in[3], in_stride[3], v + 8, xi_stride);
}

static TARGET void output_half(const float *m, long xi_stride, float *p, long p_stride, float *q, long q_stride,
                               float bias, int activation, float slope) {
    __m256 s[6][4];
    for (int a = 0; a < 6; a++) {
        __m256 row[6];
        for (int j = 0; j < 6; j++) row[j] = _mm256_loadu_ps(m + (a * 6 + j) * xi_stride);
        output_1d(row, s[a]);
    }
    __m256 y[4][4], vbias = _mm256_set1_ps(bias), vslope = _mm256_set1_ps(slope);
    for (int c = 0; c < 4; c++) {
        __m256 column[6] = {s[0][c], s[1][c], s[2][c], s[3][c], s[4][c], s[5][c]}, o[4];
        output_1d(column, o);
        for (int r = 0; r < 4; r++) y[r][c] = winograd_activate8(_mm256_add_ps(o[r], vbias), activation, vslope);
    }
    for (int r = 0; r < 4; r++) {
        __m256 z[4];
        transpose_lanes8(y[r], z);   // quad p's columns 0–7 and 8–15, then quad q's
        _mm256_storeu_ps(p + r * p_stride, z[0]);
        _mm256_storeu_ps(p + r * p_stride + 8, z[1]);
        _mm256_storeu_ps(q + r * q_stride, z[2]);
        _mm256_storeu_ps(q + r * q_stride + 8, z[3]);
    }
}

void md_winograd_f43_output_avx2(const float *m, long xi_stride, float *const out[4], const long out_stride[4],
                                 float bias, int activation, float slope) {
    output_half(m, xi_stride, out[0], out_stride[0], out[1], out_stride[1], bias, activation, slope);
    output_half(m + 8, xi_stride, out[2], out_stride[2], out[3], out_stride[3], bias, activation, slope);
}
#endif
