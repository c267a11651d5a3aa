// Winograd F(4×4, 2×2), NEON tier: winograd_f42.c's transforms on 4 lanes,
// one quad at a time: quad i's 4 tiles are the block's columns 4i … 4i+3,
// in tile order (as winograd_f43_neon.c).
#include "md_microkernels.h"

#include "winograd_f42.h"
#include "winograd_neon.h"

#if defined(__aarch64__)
#include <arm_neon.h>

// r = Bᵀ d for five vectors, in winograd_f42.c's order.
static inline void input_1d(const float32x4_t d[5], float32x4_t r[5]) {
    float32x4_t s = vsubq_f32(d[3], d[1]);
    r[0] = vfmaq_n_f32(s, vsubq_f32(d[0], d[2]), 2.0f);
    r[1] = vsubq_f32(s, vaddq_f32(d[1], d[2]));
    r[2] = vfmaq_n_f32(s, vsubq_f32(d[1], d[2]), 3.0f);
    r[3] = s;
    r[4] = vfmaq_n_f32(vsubq_f32(d[4], d[2]), s, -2.0f);
}

// o = Aᵀ m for five vectors.
static inline void output_1d(const float32x4_t m[5], float32x4_t o[4]) {
    float32x4_t a = vaddq_f32(m[1], m[2]), b = vsubq_f32(m[1], m[2]);
    o[0] = vaddq_f32(vaddq_f32(m[0], a), m[3]);
    o[1] = vfmaq_n_f32(b, m[3], 2.0f);
    o[2] = vfmaq_n_f32(a, m[3], 4.0f);
    o[3] = vaddq_f32(vfmaq_n_f32(b, m[3], 8.0f), m[4]);
}

static void input_quad(const float *in, long stride, float *v, long xi_stride) {
    float32x4_t t[5][5];
    for (int r = 0; r < 5; r++) {
        const float *row = in + r * stride;
        float32x4_t a[4], c[5];
        for (int k = 0; k < 4; k++) a[k] = vld1q_f32(row + 4 * k);
        transpose4(a, c);
        // Column 4 of tile k is column 0 of tile k + 1, and the quad's
        // column 16 for tile 3.
        c[4] = vextq_f32(c[0], vld1q_dup_f32(row + 16), 1);
        input_1d(c, t[r]);
    }
    for (int j = 0; j < 5; j++) {
        float32x4_t column[5] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j]}, r[5];
        input_1d(column, r);
        for (int a = 0; a < 5; a++) vst1q_f32(v + (a * 5 + j) * xi_stride, r[a]);
    }
}

void md_winograd_f42_input_neon(const float *const in[4], const long in_stride[4], float *v, long xi_stride) {
    for (int i = 0; i < 4; i++) input_quad(in[i], in_stride[i], v + 4 * i, xi_stride);
}

// One phase's 4×4 outputs of a quad, y[r][c] (lane k = tile k), bias and
// activation applied.
static void output_phase(const float *m, long xi_stride, float bias, int activation, float slope,
                         float32x4_t y[4][4]) {
    float32x4_t s[5][4];
    for (int a = 0; a < 5; a++) {
        float32x4_t row[5];
        for (int j = 0; j < 5; j++) row[j] = vld1q_f32(m + (a * 5 + j) * xi_stride);
        output_1d(row, s[a]);
    }
    float32x4_t vbias = vdupq_n_f32(bias);
    for (int c = 0; c < 4; c++) {
        float32x4_t column[5] = {s[0][c], s[1][c], s[2][c], s[3][c], s[4][c]}, o[4];
        output_1d(column, o);
        for (int r = 0; r < 4; r++) y[r][c] = winograd_activate4(vaddq_f32(o[r], vbias), activation, slope);
    }
}

static void output_quad(const float *m, long xi_stride, long phase_stride, float *out, long stride, float bias,
                        int activation, float slope) {
    float32x4_t even[4][4], odd[4][4];
    output_phase(m, xi_stride, bias, activation, slope, even);
    output_phase(m + phase_stride, xi_stride, bias, activation, slope, odd);
    for (int r = 0; r < 4; r++) {
        float32x4_t e[4], o[4];
        transpose4(even[r], e);   // tile k's 4 columns of row r, phase 0
        transpose4(odd[r], o);
        for (int k = 0; k < 4; k++) {
            float32x4x2_t pair = {{e[k], o[k]}};
            vst2q_f32(out + r * stride + 8 * k, pair);   // e0 o0 e1 o1 …
        }
    }
}

void md_winograd_f42_output_neon(const float *m, long xi_stride, long phase_stride, float *const out[4],
                                 const long out_stride[4], float bias, int activation, float slope) {
    for (int i = 0; i < 4; i++) {
        output_quad(m + 4 * i, xi_stride, phase_stride, out[i], out_stride[i], bias, activation, slope);
    }
}

void md_winograd_f42_conv_output_neon(const float *m, long xi_stride, float *const out[4], const long out_stride[4],
                                      float bias, int activation, float slope) {
    for (int i = 0; i < 4; i++) {
        float32x4_t y[4][4];
        output_phase(m + 4 * i, xi_stride, bias, activation, slope, y);
        for (int r = 0; r < 4; r++) {
            float32x4_t tiles[4];
            transpose4(y[r], tiles);   // tile k's 4 output columns of row r
            for (int k = 0; k < 4; k++) vst1q_f32(out[i] + r * out_stride[i] + 4 * k, tiles[k]);
        }
    }
}
#endif
