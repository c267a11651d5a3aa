// The bilinear warp, NEON tier: warp_bilinear.c's arithmetic to the bit on
// 4 lanes (Float positions, floor, fractions, lerp with a separate multiply
// and add); the taps are loaded lane by lane (NEON has no gather).
#include "md_microkernels.h"
#include "warp_bilinear.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#if defined(__aarch64__)
#include <arm_neon.h>

// a + (b − a)·t, a where t == 0.
static inline float32x4_t lerp4(float32x4_t a, float32x4_t b, float32x4_t t) {
    float32x4_t v = vaddq_f32(a, vmulq_f32(vsubq_f32(b, a), t));
    return vbslq_f32(vceqq_f32(t, vdupq_n_f32(0.0f)), a, v);
}

void md_warp_bilinear_neon(const float *src, int channels, int h, int w, const int *src_mask, const float *rows,
                           const float *cols, int count, float *dst, int *dst_mask, long plane,
                           unsigned short *outside, int constant, float border_value, int mask_fill) {
    for (int x = 0; x < count; x += 4) {
        int n = count - x < 4 ? count - x : 4;
        float r_lanes[4] = {0}, c_lanes[4] = {0};
        for (int i = 0; i < n; i++) r_lanes[i] = rows[x + i], c_lanes[i] = cols[x + i];
        float32x4_t r = vld1q_f32(r_lanes), c = vld1q_f32(c_lanes);
        float32x4_t rf = vrndmq_f32(r), cf = vrndmq_f32(c);
        float32x4_t fy = vsubq_f32(r, rf), fx = vsubq_f32(c, cf);
        int y0[4], x0[4];
        vst1q_s32(y0, vcvtq_s32_f32(rf));
        vst1q_s32(x0, vcvtq_s32_f32(cf));
        float fy_lanes[4], fx_lanes[4];
        vst1q_f32(fy_lanes, fy);
        vst1q_f32(fx_lanes, fx);
        int inside[4] = {0}, bits = 0;
        for (int i = 0; i < n; i++) {
            inside[i] = y0[i] >= 0 && y0[i] < h - 1 && x0[i] >= 0 && x0[i] < w - 1;
            if (!inside[i]) bits |= 1 << i;
        }
        if (constant) {
            if (x % 16 == 0) outside[x / 16] = 0;
        } else {
            unsigned short *flag = &outside[x / 16];
            int shift = x % 16;
            *flag = (unsigned short)((*flag & ~(0xF << shift)) | (bits << shift));
            if (bits == (1 << n) - 1) continue;
        }
        for (int ch = 0; ch < channels; ch++) {
            const float *p = src + (long)ch * plane;
            float taps[4][4] = {{0}};     // [tap 00, 01, 10, 11][lane]
            for (int i = 0; i < n; i++) {
                for (int tap = 0; tap < 4; tap++) {
                    long yy = (long)y0[i] + (tap >> 1), xx = (long)x0[i] + (tap & 1);
                    if (inside[i] || (yy >= 0 && yy < h && xx >= 0 && xx < w)) {
                        taps[tap][i] = p[yy * w + xx];
                    } else {
                        taps[tap][i] = border_value;
                    }
                }
            }
            float32x4_t top = lerp4(vld1q_f32(taps[0]), vld1q_f32(taps[1]), fx);
            float32x4_t bottom = lerp4(vld1q_f32(taps[2]), vld1q_f32(taps[3]), fx);
            float out[4];
            vst1q_f32(out, lerp4(top, bottom, fy));
            for (int i = 0; i < n; i++) {
                if (constant || inside[i]) dst[(long)ch * plane + x + i] = out[i];
            }
        }
        for (int i = 0; i < n; i++) {
            if (!constant && !inside[i]) continue;
            // Nearest neighbour: halves rounded up.
            long my = (long)y0[i] + (fy_lanes[i] >= 0.5f), mx = (long)x0[i] + (fx_lanes[i] >= 0.5f);
            dst_mask[x + i] = my >= 0 && my < h && mx >= 0 && mx < w ? src_mask[my * w + mx] : mask_fill;
        }
    }
}
#endif
