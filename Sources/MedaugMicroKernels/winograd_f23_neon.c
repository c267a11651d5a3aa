// Winograd F(2×2, 3×3), NEON tier: winograd_f23.c's band layout and
// transforms, each vector of 16 tiles handled as four quarters of 4 lanes
// (for a stacked vector, quarters 2 and 3 are the next tile row's first 8
// tiles; winograd_common.h). Columns are split into even and odd by vld2q
// and interleaved back by vst2q; rows or columns outside the image go
// through a zero-padded copy.
#include "md_microkernels.h"

#include "winograd_neon.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

// Columns x … x+9 of a row (zero outside the image) as even/odd pairs:
// c[0] = x+2i, c[1] = x+2i+1, c[2] = x+2i+2, c[3] = x+2i+3, i = 0…3.
static void load_columns4(const float *row, int x, int w, int inside, float32x4_t c[4]) {
    float padded[10] = {0};
    const float *from = row + x;
    if (!inside || x < 0 || x + 10 > w) {
        for (int j = 0; j < 10; j++) padded[j] = inside && x + j >= 0 && x + j < w ? row[x + j] : 0.0f;
        from = padded;
    }
    float32x4x2_t a = vld2q_f32(from), b = vld2q_f32(from + 2);
    c[0] = a.val[0], c[1] = a.val[1], c[2] = b.val[0], c[3] = b.val[1];
}

static void input_tiles4(const float *plane, int h, int w, int top, int x, float *v, long k_stride, long xi_stride) {
    (void)k_stride;
    float32x4_t t[4][4];
    for (int r = 0; r < 4; r++) {
        int y = top + r, inside = y >= 0 && y < h;
        float32x4_t c[4];
        load_columns4(plane + (long)(inside ? y : 0) * w, x, w, inside, c);
        t[r][0] = vsubq_f32(c[0], c[2]);
        t[r][1] = vaddq_f32(c[1], c[2]);
        t[r][2] = vsubq_f32(c[2], c[1]);
        t[r][3] = vsubq_f32(c[1], c[3]);
    }
    for (int j = 0; j < 4; j++) {
        vst1q_f32(v + (0 * 4 + j) * xi_stride, vsubq_f32(t[0][j], t[2][j]));
        vst1q_f32(v + (1 * 4 + j) * xi_stride, vaddq_f32(t[1][j], t[2][j]));
        vst1q_f32(v + (2 * 4 + j) * xi_stride, vsubq_f32(t[2][j], t[1][j]));
        vst1q_f32(v + (3 * 4 + j) * xi_stride, vsubq_f32(t[1][j], t[3][j]));
    }
}

void md_winograd_f23_input_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    winograd_input_groups(layer, b, begin, end, 4, 2, 0, input_tiles4);
}

// 8 floats [l0 r0 … l3 r3] stored from row + x where inside [0, w).
static void store_pairs4(float *row, int x, int w, float32x4_t left, float32x4_t right) {
    float32x4x2_t pair = {{left, right}};
    if (x >= 0 && x + 8 <= w) {
        vst2q_f32(row + x, pair);
        return;
    }
    float out[8];
    vst2q_f32(out, pair);
    for (int j = 0; j < 8; j++) {
        if (x + j >= 0 && x + j < w) row[x + j] = out[j];
    }
}

void md_winograd_f23_output_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    int h = layer->h, w = layer->w;
    winograd_lanes l = b->lanes;
    long plane = (long)h * w;
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        for (int vr = 0; vr < b->vector_rows; vr++) {
            int ty = b->tile_row_begin + vr * l.rows_per_vector, rows_a, rows_b;
            winograd_rows_to_store(l, ty, b->tile_row_end, 2, h, 2, &rows_a, &rows_b);
            long t = (long)vr * l.vector_row_tiles + tx;
            for (int q = 0; q < 4; q++) {
                int dx, dy;
                winograd_lane_offsets(l, 4 * q, &dx, &dy);
                int rows = dy == 0 ? rows_a : rows_b;
                if (rows <= 0) continue;
                int x = 2 * (tx + dx), y = 2 * (ty + dy);
                for (int o = begin; o < end; o++) {
                    const float *m = b->m + o * b->tiles + t + 4 * q;
                    float32x4_t a0[4], a1[4];
                    for (int c = 0; c < 4; c++) {
                        float32x4_t m0 = vld1q_f32(m + (0 * 4 + c) * b->m_stride);
                        float32x4_t m1 = vld1q_f32(m + (1 * 4 + c) * b->m_stride);
                        float32x4_t m2 = vld1q_f32(m + (2 * 4 + c) * b->m_stride);
                        float32x4_t m3 = vld1q_f32(m + (3 * 4 + c) * b->m_stride);
                        a0[c] = vaddq_f32(vaddq_f32(m0, m1), m2);
                        a1[c] = vsubq_f32(vsubq_f32(m1, m2), m3);
                    }
                    float32x4_t bias = vdupq_n_f32(layer->bias ? layer->bias[o] : 0.0f);
                    for (int r = 0; r < rows; r++) {
                        const float32x4_t *a = r == 0 ? a0 : a1;
                        float32x4_t left = vaddq_f32(vaddq_f32(vaddq_f32(a[0], a[1]), a[2]), bias);
                        float32x4_t right = vaddq_f32(vsubq_f32(vsubq_f32(a[1], a[2]), a[3]), bias);
                        store_pairs4(layer->output + o * plane + (long)(y + r) * w, x, w,
                                     winograd_activate4(left, layer->activation, layer->slope),
                                     winograd_activate4(right, layer->activation, layer->slope));
                    }
                }
            }
        }
    }
}
#endif
