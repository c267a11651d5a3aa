// Winograd F(2×2, 2×2) for pix2pix's 4×4 stride-2 convolutions and
// transposed convolutions, NEON tier: winograd_f22.c's split, band layout and
// transforms, each vector of 16 tiles as four quarters of 4 lanes (stacked:
// quarters 2 and 3 are the next tile row). vld4q splits columns by residue
// mod 4, vld2q by parity, vst2q/vst4q interleave the outputs; rows or
// columns outside the image go through zero-padded copies.
#include "md_microkernels.h"

#include "winograd_neon.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define TRANSFORM3(d0, d1, d2, out)       \
    do {                                  \
        (out)[0] = vsubq_f32(d0, d1);     \
        (out)[1] = (d1);                  \
        (out)[2] = vsubq_f32(d2, d1);     \
    } while (0)

// `count` floats of a row from column x, zero outside the image, into
// `padded` when any is outside; returns where to read them.
static const float *row_from(const float *row, int x, int w, int inside, int count, float *padded) {
    if (inside && x >= 0 && x + count <= w) return row + x;
    for (int j = 0; j < count; j++) padded[j] = inside && x + j >= 0 && x + j < w ? row[x + j] : 0.0f;
    return padded;
}

// Aᵀ·M·A for 4 tiles: m[ξ] (ξ = a·3 + b) → y[r][c], 2×2.
static void output_transform4(const float32x4_t m[9], float32x4_t y[2][2]) {
    for (int r = 0; r < 2; r++) {
        float32x4_t row[3];
        for (int b = 0; b < 3; b++) row[b] = vaddq_f32(m[r * 3 + b], m[(r + 1) * 3 + b]);
        y[r][0] = vaddq_f32(row[0], row[1]);
        y[r][1] = vaddq_f32(row[1], row[2]);
    }
}

// `count` floats from `values` stored from row + x where inside [0, w).
static void store_row(float *row, int x, int w, const float *values, int count) {
    for (int j = 0; j < count; j++) {
        if (x + j >= 0 && x + j < w) row[x + j] = values[j];
    }
}

// ---------------------------------------------------------- convolution --

// V for 4 tiles (output columns 2t, 2t+1) of one input channel: input rows
// top … top+5, columns 4t−1 … 4t+4 (x = 4·t0 − 1).
static void conv_input_tiles4(const float *plane, int h, int w, int top, int x, float *slot, long k_stride,
                              long xi_stride) {
    for (int py = 0; py < 2; py++) {
        float32x4_t hrow[3][2][3];
        for (int j = 0; j < 3; j++) {
            int y = top + 2 * j + py, inside = y >= 0 && y < h;
            float padded[18];
            const float *from = row_from(plane + (long)(inside ? y : 0) * w, x, w, inside, 18, padded);
            float32x4x4_t c = vld4q_f32(from);
            // Residues 0 and 1 of the next tile: floats 16 and 17.
            float32x4_t c4 = vextq_f32(c.val[0], vdupq_n_f32(from[16]), 1);
            float32x4_t c5 = vextq_f32(c.val[1], vdupq_n_f32(from[17]), 1);
            TRANSFORM3(c.val[0], c.val[2], c4, hrow[j][0]);     // odd columns 4t−1, 4t+1, 4t+3
            TRANSFORM3(c.val[1], c.val[3], c5, hrow[j][1]);     // even columns 4t, 4t+2, 4t+4
        }
        for (int px = 0; px < 2; px++) {
            float *dst = slot + (py * 2 + px) * k_stride;
            for (int b = 0; b < 3; b++) {
                float32x4_t v[3];
                TRANSFORM3(hrow[0][px][b], hrow[1][px][b], hrow[2][px][b], v);
                for (int a = 0; a < 3; a++) vst1q_f32(dst + (a * 3 + b) * xi_stride, v[a]);
            }
        }
    }
}

void md_winograd_f22_conv_input_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    winograd_input_groups(layer, b, begin, end, 4, 4, 32L * layer->cin, conv_input_tiles4);
}

void md_winograd_f22_conv_output_neon(const md_winograd_layer *layer, const winograd_band *b, int begin, int end) {
    winograd_lanes l = b->lanes;
    int out_h = layer->h / 2, out_w = layer->w / 2;
    long out_plane = (long)out_h * out_w;
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        for (int vr = 0; vr < b->vector_rows; vr++) {
            int ty = b->tile_row_begin + vr * l.rows_per_vector, rows_a, rows_b;
            winograd_rows_to_store(l, ty, b->tile_row_end, 2, out_h, 2, &rows_a, &rows_b);
            long t = (long)vr * l.vector_row_tiles + tx;
            for (int q = 0; q < 4; q++) {
                int dx, dy;
                winograd_lane_offsets(l, 4 * q, &dx, &dy);
                int rows = dy == 0 ? rows_a : rows_b, x = 2 * (tx + dx), y = 2 * (ty + dy);
                for (int o = begin; o < end && rows > 0; o++) {
                    float32x4_t mv[9], yv[2][2];
                    for (int xi = 0; xi < 9; xi++) mv[xi] = vld1q_f32(b->m + xi * b->m_stride + o * b->tiles + t + 4 * q);
                    output_transform4(mv, yv);
                    float32x4_t bias = vdupq_n_f32(layer->bias ? layer->bias[o] : 0.0f);
                    for (int r = 0; r < rows; r++) {
                        float32x4x2_t pair = {{winograd_activate4(vaddq_f32(yv[r][0], bias), layer->activation, layer->slope),
                                               winograd_activate4(vaddq_f32(yv[r][1], bias), layer->activation, layer->slope)}};
                        float out[8];
                        vst2q_f32(out, pair);
                        store_row(layer->output + o * out_plane + (long)(y + r) * out_w, x, out_w, out, 8);
                    }
                }
            }
        }
    }
}

// ------------------------------------------------ transposed convolution --

// V for 4 tiles (input positions 2t, 2t+1) of one input channel: rows
// top … top+3, columns 2t−1 … 2t+2; phase (py, px) reads rows top+py …
// top+py+2 and columns 2t−1+px … 2t+1+px.
static void transposed_input_tiles4(const float *plane, int h, int w, int top, int x, float *slot, long k_stride,
                                    long xi_stride) {
    (void)k_stride;
    float32x4_t hrow[4][2][3];
    for (int r = 0; r < 4; r++) {
        int y = top + r, inside = y >= 0 && y < h;
        float padded[10];
        const float *from = row_from(plane + (long)(inside ? y : 0) * w, x, w, inside, 10, padded);
        float32x4x2_t a = vld2q_f32(from), b = vld2q_f32(from + 2);
        float32x4_t c[4] = {a.val[0], a.val[1], b.val[0], b.val[1]};
        TRANSFORM3(c[0], c[1], c[2], hrow[r][0]);
        TRANSFORM3(c[1], c[2], c[3], hrow[r][1]);
    }
    for (int py = 0; py < 2; py++) {
        for (int px = 0; px < 2; px++) {
            float *dst = slot + (py * 2 + px) * 9 * xi_stride;     // phase-major: 9 matrices a phase
            for (int b = 0; b < 3; b++) {
                float32x4_t v[3];
                TRANSFORM3(hrow[py][px][b], hrow[py + 1][px][b], hrow[py + 2][px][b], v);
                for (int a = 0; a < 3; a++) vst1q_f32(dst + (a * 3 + b) * xi_stride, v[a]);
            }
        }
    }
}

void md_winograd_f22_transposed_input_neon(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                           int end) {
    winograd_input_groups(layer, b, begin, end, 4, 2, 0, transposed_input_tiles4);
}

void md_winograd_f22_transposed_output_neon(const md_winograd_layer *layer, const winograd_band *b, int begin,
                                            int end) {
    winograd_lanes l = b->lanes;
    int out_h = 2 * layer->h, out_w = 2 * layer->w;
    long out_plane = (long)out_h * out_w;
    for (int tx = 0; tx < l.vector_row_tiles; tx += 16) {
        for (int vr = 0; vr < b->vector_rows; vr++) {
            int ty = b->tile_row_begin + vr * l.rows_per_vector, rows_a, rows_b;
            winograd_rows_to_store(l, ty, b->tile_row_end, 4, out_h, 4, &rows_a, &rows_b);
            long t = (long)vr * l.vector_row_tiles + tx;
            for (int q = 0; q < 4; q++) {
                int dx, dy;
                winograd_lane_offsets(l, 4 * q, &dx, &dy);
                int rows = dy == 0 ? rows_a : rows_b, x = 4 * (tx + dx), y = 4 * (ty + dy);
                for (int o = begin; o < end && rows > 0; o++) {
                    float32x4_t bias = vdupq_n_f32(layer->bias ? layer->bias[o] : 0.0f);
                    float32x4_t yv[4][2][2];     // [phase][a][b]
                    for (int phase = 0; phase < 4; phase++) {
                        float32x4_t mv[9];
                        for (int xi = 0; xi < 9; xi++) {
                            mv[xi] = vld1q_f32(b->m + (phase * 9 + xi) * b->m_stride + o * b->tiles + t + 4 * q);
                        }
                        output_transform4(mv, yv[phase]);
                        for (int a = 0; a < 2; a++)
                            for (int c = 0; c < 2; c++)
                                yv[phase][a][c] = winograd_activate4(vaddq_f32(yv[phase][a][c], bias), layer->activation,
                                                            layer->slope);
                    }
                    for (int a = 0; a < 2; a++) {
                        for (int py = 0; py < 2; py++) {
                            int r = 2 * a + py;     // output row y + r
                            if (r >= rows) continue;
                            // Output column 4t + j: j = 2·bx + px.
                            float32x4x4_t z = {{yv[py * 2][a][0], yv[py * 2 + 1][a][0], yv[py * 2][a][1],
                                                yv[py * 2 + 1][a][1]}};
                            float out[16];
                            vst4q_f32(out, z);
                            store_row(layer->output + o * out_plane + (long)(y + r) * out_w, x, out_w, out, 16);
                        }
                    }
                }
            }
        }
    }
}
#endif
