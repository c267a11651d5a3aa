// Winograd F(4×4, 3×3), NEON tier: winograd_f43.c's transforms on 4 lanes,
// one quad at a time: quad i's 4 tiles are the block's columns 4i … 4i+3,
// in tile order.
#include "md_microkernels.h"

#include "winograd_f43.h"
#include "winograd_neon.h"

#if defined(__aarch64__)
#include <arm_neon.h>

// r = Bᵀ d for six vectors (winograd_f43.c).
static inline void input_1d(const float32x4_t d[6], float32x4_t r[6]) {
    float32x4_t s1 = vfmaq_n_f32(d[4], d[2], -4.0f), s2 = vfmaq_n_f32(d[3], d[1], -4.0f);
    float32x4_t s3 = vsubq_f32(d[4], d[2]), s4 = vsubq_f32(d[3], d[1]);
    s4 = vaddq_f32(s4, s4);
    r[0] = vfmaq_n_f32(vfmaq_n_f32(d[4], d[2], -5.0f), d[0], 4.0f);
    r[1] = vaddq_f32(s1, s2);
    r[2] = vsubq_f32(s1, s2);
    r[3] = vaddq_f32(s3, s4);
    r[4] = vsubq_f32(s3, s4);
    r[5] = vfmaq_n_f32(vfmaq_n_f32(d[5], d[3], -5.0f), d[1], 4.0f);
}

// o = Aᵀ m for six vectors.
static inline void output_1d(const float32x4_t m[6], float32x4_t o[4]) {
    float32x4_t a = vaddq_f32(m[1], m[2]), b = vsubq_f32(m[1], m[2]);
    float32x4_t c = vaddq_f32(m[3], m[4]), d = vsubq_f32(m[3], m[4]);
    o[0] = vaddq_f32(vaddq_f32(m[0], a), c);
    o[1] = vfmaq_n_f32(b, d, 2.0f);
    o[2] = vfmaq_n_f32(a, c, 4.0f);
    o[3] = vaddq_f32(vfmaq_n_f32(b, d, 8.0f), m[5]);
}

static void input_quad(const float *in, long stride, float *v, long xi_stride) {
    float32x4_t t[6][6];
    for (int r = 0; r < 6; r++) {
        const float *row = in + r * stride;
        float32x4_t a[4], b[4], c[6], high[4];
        for (int k = 0; k < 4; k++) a[k] = vld1q_f32(row + 4 * k), b[k] = vld1q_f32(row + 4 * k + 2);
        transpose4(a, c);
        transpose4(b, high);   // columns 2–5 of each tile
        c[4] = high[2], c[5] = high[3];
        input_1d(c, t[r]);
    }
    for (int j = 0; j < 6; j++) {
        float32x4_t column[6] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]}, r[6];
        input_1d(column, r);
        for (int a = 0; a < 6; a++) vst1q_f32(v + (a * 6 + j) * xi_stride, r[a]);
    }
}

void md_winograd_f43_input_neon(const float *const in[4], const long in_stride[4], float *v, long xi_stride) {
    for (int i = 0; i < 4; i++) input_quad(in[i], in_stride[i], v + 4 * i, xi_stride);
}

static void output_quad(const float *m, long xi_stride, float *out, long stride, float bias, int activation,
                        float slope) {
    float32x4_t s[6][4];
    for (int a = 0; a < 6; a++) {
        float32x4_t row[6];
        for (int j = 0; j < 6; j++) row[j] = vld1q_f32(m + (a * 6 + j) * xi_stride);
        output_1d(row, s[a]);
    }
    float32x4_t y[4][4], vbias = vdupq_n_f32(bias);
    for (int c = 0; c < 4; c++) {
        float32x4_t column[6] = {s[0][c], s[1][c], s[2][c], s[3][c], s[4][c], s[5][c]}, o[4];
        output_1d(column, o);
        for (int r = 0; r < 4; r++) y[r][c] = winograd_activate4(vaddq_f32(o[r], vbias), activation, slope);
    }
    for (int r = 0; r < 4; r++) {
        float32x4_t tiles[4];
        transpose4(y[r], tiles);   // tile k's 4 output columns of row r
        for (int k = 0; k < 4; k++) vst1q_f32(out + r * stride + 4 * k, tiles[k]);
    }
}

void md_winograd_f43_output_neon(const float *m, long xi_stride, float *const out[4], const long out_stride[4],
                                 float bias, int activation, float slope) {
    for (int i = 0; i < 4; i++) output_quad(m + 4 * i, xi_stride, out[i], out_stride[i], bias, activation, slope);
}
#endif
