// The elementwise kernels of the NEON tier: tanh, sigmoid and softmax, the
// bilinear warp and Adam, against scalar references.
#include "kernel_tests.h"

// tanh and sigmoid of x·scale + shift against double, on the polynomial /
// exp switch at 0.625, saturation, infinities, NaN and a length that is not
// a multiple of 4; softmax of 5 channels over 37 pixels.
void test_activations(void) {
    float special[] = {0, -0.0f, 1e-30f, -1e-7f, 1e-4f, 0.624f, 0.625f, 0.626f, -0.625f, 3, -9, 9.5f, 20, -40, 88,
                       -88, 100, -200, INFINITY, -INFINITY};
    enum { count = 20 + 203 };
    float data[count];
    memcpy(data, special, sizeof special);
    for (int i = 20; i < count; i++) data[i] = 4 * random_float();
    long before = md_kernel_runs(MD_FAMILY_ACTIVATIONS, MD_CPU_NEON);
    for (int round = 0; round < 2; round++) {
        float scale = round ? 0.7f : 1.0f, shift = round ? -0.3f : 0.0f;
        float t[count], g[count];
        memcpy(t, data, sizeof data), memcpy(g, data, sizeof data);
        check(md_affine_activate(t, count, scale, shift, MD_ACTIVATION_TANH) == 1, "tanh ran");
        check(md_affine_activate(g, count, scale, shift, MD_ACTIVATION_SIGMOID) == 1, "sigmoid ran");
        int bad_t = 0, bad_g = 0;
        for (int i = 0; i < count; i++) {
            double x = (double)(data[i] * scale + shift), et = tanh(x), eg = 1 / (1 + exp(-x));
            if (fabs((double)t[i] - et) > 3e-7 * fmax(1, fabs(et))) bad_t++;
            if (fabs((double)g[i] - eg) > 3e-7) bad_g++;
        }
        check(bad_t == 0, "tanh within 3e-7 of double");
        check(bad_g == 0, "sigmoid within 3e-7 of double");
    }
    float nan_lanes[2] = {NAN, 1};
    md_affine_activate(nan_lanes, 2, 1, 0, MD_ACTIVATION_TANH);
    check(isnan(nan_lanes[0]), "tanh keeps NaN");
    enum { channels = 5, pixels = 37 };
    float logits[channels * pixels], original[channels * pixels];
    for (int i = 0; i < channels * pixels; i++) original[i] = logits[i] = 20 * random_float();
    check(md_softmax_channels(logits, channels, pixels, pixels) == 1, "softmax ran");
    int bad = 0;
    for (int p = 0; p < pixels; p++) {
        double peak = -INFINITY, sum = 0;
        for (int c = 0; c < channels; c++) peak = fmax(peak, original[c * pixels + p]);
        for (int c = 0; c < channels; c++) sum += exp(original[c * pixels + p] - peak);
        for (int c = 0; c < channels; c++) {
            if (fabs(logits[c * pixels + p] - exp(original[c * pixels + p] - peak) / sum) > 3e-7) bad++;
        }
    }
    check(bad == 0, "softmax within 3e-7 of double");
    check(md_kernel_runs(MD_FAMILY_ACTIVATIONS, MD_CPU_NEON) >= before + 6, "the NEON activation kernels ran");
}

// Resampler.swift's scalar path for one pixel, written again in C.
static float lerp(float a, float b, float t) { return t == 0 ? a : a + (b - a) * t; }

static void reference_pixel(const float *src, int channels, int h, int w, const int *src_mask, float row,
                            float column, float border_value, long plane, float *dst, int *dst_mask) {
    int y0 = (int)floorf(row), x0 = (int)floorf(column);
    float fy = row - (float)y0, fx = column - (float)x0;
    for (int ch = 0; ch < channels; ch++) {
        const float *p = src + ch * plane;
        float t[4];
        for (int tap = 0; tap < 4; tap++) {
            int yy = y0 + (tap >> 1), xx = x0 + (tap & 1);
            t[tap] = yy >= 0 && yy < h && xx >= 0 && xx < w ? p[yy * w + xx] : border_value;
        }
        dst[ch * plane] = lerp(lerp(t[0], t[1], fx), lerp(t[2], t[3], fx), fy);
    }
    int my = fy < 0.5f ? y0 : y0 + 1, mx = fx < 0.5f ? x0 : x0 + 1;
    *dst_mask = my >= 0 && my < h && mx >= 0 && mx < w ? src_mask[my * w + mx] : 0;
}

// One row of 37 pixels of a 2-channel 9×11 image, positions inside, on the
// border, outside and on whole pixels: with a constant border every pixel
// bitwise as the reference; otherwise the inside ones, and the rest flagged.
void test_warp(void) {
    enum { h = 9, w = 11, channels = 2, count = 37 };
    long plane = h * w;
    float src[channels * h * w];
    int mask[h * w];
    for (int i = 0; i < channels * h * w; i++) src[i] = random_float();
    for (int i = 0; i < h * w; i++) mask[i] = i % 5;
    float rows[count], cols[count];
    for (int x = 0; x < count; x++) {
        rows[x] = x % 7 == 0 ? (float)(x % h) : -2.5f + 13.0f * (random_float() + 1) / 2;
        cols[x] = x % 5 == 0 ? (float)(x % w) : -2.5f + 15.0f * (random_float() + 1) / 2;
    }
    long before = md_kernel_runs(MD_FAMILY_WARP, MD_CPU_NEON);
    for (int constant = 0; constant < 2; constant++) {
        // Output planes are `plane` floats apart, as the kernel's argument says.
        float expected[channels * h * w];
        int expected_mask[count];
        unsigned short outside[(count + 15) / 16];
        memset(outside, 0xFF, sizeof outside);
        for (int x = 0; x < count; x++) {
            reference_pixel(src, channels, h, w, mask, rows[x], cols[x], -1.0f, plane, expected + x, expected_mask + x);
        }
        float out[channels * h * w];
        int out_mask[h * w];
        for (int i = 0; i < channels * h * w; i++) out[i] = NAN;
        check(md_warp_bilinear(src, channels, h, w, mask, rows, cols, count, out, out_mask, plane, outside, constant,
                               -1.0f, 0) == 1,
              "warp ran");
        int bad = 0, bad_flags = 0;
        for (int x = 0; x < count; x++) {
            int y0 = (int)floorf(rows[x]), x0 = (int)floorf(cols[x]);
            int inside = y0 >= 0 && y0 < h - 1 && x0 >= 0 && x0 < w - 1;
            int flagged = (outside[x / 16] >> (x % 16)) & 1;
            if (!constant && flagged != !inside) bad_flags++;
            if (!constant && !inside) continue;
            for (int ch = 0; ch < channels; ch++) {
                if (memcmp(&out[x + ch * plane], &expected[x + ch * plane], sizeof(float)) != 0) bad++;
            }
            if (out_mask[x] != expected_mask[x]) bad++;
        }
        check(bad == 0, constant ? "warp, constant border: bitwise as the scalar path"
                                 : "warp: inside pixels bitwise as the scalar path");
        check(bad_flags == 0, constant ? "warp, constant border: no flags" : "warp: the other pixels flagged");
    }
    check(md_kernel_runs(MD_FAMILY_WARP, MD_CPU_NEON) == before + 2, "the NEON warp kernel ran");
}

// Adam on counts that end between vectors, both moment formulas, against
// the scalar loop (this file is compiled without contraction, as adam.c).
void test_adam(void) {
    static const long counts[] = {1, 3, 4, 9, 1001};
    for (int formula = 0; formula < 2; formula++) {
        float beta1 = formula ? 0.9f : 0.5f;
        md_adam_step step = {1 - beta1, beta1, 0.999f, 0.001f, 2e-4f, 0.0447f, 1e-8f};
        for (size_t t = 0; t < sizeof counts / sizeof *counts; t++) {
            long n = counts[t];
            float *buf = malloc(sizeof(float) * 7 * (size_t)n);
            float *p = buf, *m = buf + n, *v = buf + 2 * n, *g = buf + 3 * n, *ep = buf + 4 * n, *em = buf + 5 * n,
                  *ev = buf + 6 * n;
            for (long i = 0; i < n; i++) {
                p[i] = ep[i] = random_float(), m[i] = em[i] = random_float();
                v[i] = ev[i] = random_float() * random_float(), g[i] = random_float() * (i % 3 ? 3.0f : 1e-6f);
            }
            for (long i = 0; i < n; i++) {
                float mi = step.weight < 0.5f ? em[i] + step.weight * (g[i] - em[i])
                                              : g[i] - (g[i] - em[i]) * step.complement;
                float vi = ev[i] * step.beta2 + step.weight2 * g[i] * g[i];
                em[i] = mi, ev[i] = vi;
                ep[i] -= step.step_size * mi / (sqrtf(vi) / step.root_correction2 + step.epsilon);
            }
            long before = md_kernel_runs(MD_FAMILY_OPTIMIZER, MD_CPU_NEON);
            char what[80];
            snprintf(what, sizeof what, "adam beta1 %.1f count %ld", beta1, n);
            check(md_adam_update(n, p, g, m, v, &step) == 1 && memcmp(p, ep, sizeof(float) * n) == 0 &&
                      memcmp(m, em, sizeof(float) * n) == 0 && memcmp(v, ev, sizeof(float) * n) == 0 &&
                      md_kernel_runs(MD_FAMILY_OPTIMIZER, MD_CPU_NEON) == before + 1,
                  what);
            free(buf);
        }
    }
}
