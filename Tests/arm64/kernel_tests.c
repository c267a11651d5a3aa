// The NEON tier of the micro-kernels against scalar references, on odd
// shapes, run under qemu-aarch64 by scripts/test-arm64. Prints one line per
// failure and ends with "N passed, M failed"; exits 1 on any failure.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md_cpu.h"
#include "md_microkernels.h"

static int passed, failed;

static void check(int ok, const char *what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s\n", what);
    }
}

static unsigned long long state = 0x9E3779B97F4A7C15ull;
static float random_float(void) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return (float)((state >> 40) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

// Every element one fused multiply-add chain over p in order: the NEON
// kernel must give these bits exactly.
static void reference_gemm(int m, int n, int k, const float *a, const float *b, float *c) {
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            float acc = 0.0f;
            for (int p = 0; p < k; p++) acc = fmaf(a[i * k + p], b[p * n + j], acc);
            c[i * n + j] = acc;
        }
    }
}

static void test_strips(void) {
    static const int shapes[][3] = {{1, 1, 1}, {1, 17, 3}, {7, 33, 5}, {8, 64, 9}, {13, 70, 31}, {6, 16, 1},
                                    {32, 31, 288}, {17, 100, 3}, {9, 15, 20}, {5, 48, 7}, {3, 1, 300}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        int strips = (n + 31) / 32;
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
        float *c = malloc(sizeof(float) * m * n), *expected = malloc(sizeof(float) * m * n);
        float *packed = calloc((size_t)strips * 32 * k, sizeof(float));
        for (int i = 0; i < m * k; i++) a[i] = random_float();
        for (int i = 0; i < k * n; i++) b[i] = random_float();
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) packed[((j / 32) * k + p) * 32 + j % 32] = b[p * n + j];
        reference_gemm(m, n, k, a, b, expected);
        char what[96];
        long before = md_kernel_runs(MD_FAMILY_STRIPS, MD_CPU_NEON);
        for (int i = 0; i < m * n; i++) c[i] = NAN;
        snprintf(what, sizeof what, "strips m %d n %d k %d", m, n, k);
        check(md_sgemm_strips(m, n, k, a, k, b, n, c, n) == 1 && memcmp(c, expected, sizeof(float) * m * n) == 0,
              what);
        for (int i = 0; i < m * n; i++) c[i] = NAN;
        snprintf(what, sizeof what, "packed strips m %d n %d k %d", m, n, k);
        check(md_sgemm_packed_strips(m, n, k, a, k, packed, c, n) == 1 &&
                  memcmp(c, expected, sizeof(float) * m * n) == 0,
              what);
        snprintf(what, sizeof what, "the NEON strips kernel ran (m %d n %d k %d)", m, n, k);
        check(md_kernel_runs(MD_FAMILY_STRIPS, MD_CPU_NEON) == before + 2, what);
        free(a), free(b), free(c), free(expected), free(packed);
    }
}

// tanh and sigmoid of x·scale + shift against double, on the polynomial /
// exp switch at 0.625, saturation, infinities, NaN and a length that is not
// a multiple of 4; softmax of 5 channels over 37 pixels.
static void test_activations(void) {
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
static void test_warp(void) {
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

// out[o][y][x] = Σ w[o][i][ky][kx]·in[i][y·s − p + ky][x·s − p + kx] (+ bias), in
// double.
static void reference_conv(const float *in, int cin, int h, int w, const float *weights, int cout, int k, int s,
                           int pad, const float *bias, float *out, int oh, int ow) {
    for (int o = 0; o < cout; o++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                double sum = bias ? bias[o] : 0;
                for (int i = 0; i < cin; i++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = y * s - pad + ky, ix = x * s - pad + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                sum += (double)weights[((o * cin + i) * k + ky) * k + kx] * in[(i * h + iy) * w + ix];
                        }
                out[(o * oh + y) * ow + x] = (float)sum;
            }
}

// max |a − b| / max |b|.
static double relative_error(const float *a, const float *b, long n) {
    double diff = 0, scale = 0;
    for (long i = 0; i < n; i++) {
        diff = fmax(diff, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs((double)b[i]));
    }
    return scale > 0 ? diff / scale : diff;
}

// Winograd.transformWeights (Swift) again: U[ξ][o][i] = (G g Gᵀ)[ξ].
static void transform_f23_weights(const float *g, int cout, int cin, float *u) {
    for (int o = 0; o < cout; o++)
        for (int i = 0; i < cin; i++) {
            const float *k = g + (o * cin + i) * 9;
            float t[4][3];
            for (int c = 0; c < 3; c++) {
                float g0 = k[c], g1 = k[3 + c], g2 = k[6 + c];
                t[0][c] = g0, t[1][c] = 0.5f * (g0 + g1 + g2), t[2][c] = 0.5f * (g0 - g1 + g2), t[3][c] = g2;
            }
            for (int r = 0; r < 4; r++) {
                float row[4] = {t[r][0], 0.5f * (t[r][0] + t[r][1] + t[r][2]), 0.5f * (t[r][0] - t[r][1] + t[r][2]),
                                t[r][2]};
                for (int c = 0; c < 4; c++) u[((long)(r * 4 + c) * cout + o) * cin + i] = row[c];
            }
        }
}

// The transposed convolution (4×4, stride 2, padding 1, IOHW weights) in
// double: out[o][2·iy − 1 + ky][2·ix − 1 + kx] += in[i][iy][ix]·w[i][o][ky][kx].
static void reference_transposed(const float *in, int cin, int h, int w, const float *weights, int cout,
                                 const float *bias, float *out) {
    int oh = 2 * h, ow = 2 * w;
    double *sum = calloc((size_t)cout * oh * ow, sizeof(double));
    for (int o = 0; o < cout; o++)
        for (int p = 0; p < oh * ow; p++) sum[o * oh * ow + p] = bias ? bias[o] : 0;
    for (int i = 0; i < cin; i++)
        for (int o = 0; o < cout; o++)
            for (int iy = 0; iy < h; iy++)
                for (int ix = 0; ix < w; ix++)
                    for (int ky = 0; ky < 4; ky++)
                        for (int kx = 0; kx < 4; kx++) {
                            int y = 2 * iy - 1 + ky, x = 2 * ix - 1 + kx;
                            if (y >= 0 && y < oh && x >= 0 && x < ow)
                                sum[(o * oh + y) * ow + x] += (double)in[(i * h + iy) * w + ix] *
                                                              weights[((i * cout + o) * 4 + ky) * 4 + kx];
                        }
    for (long p = 0; p < (long)cout * oh * ow; p++) out[p] = (float)sum[p];
    free(sum);
}

typedef int (*winograd_kernel)(const md_winograd_layer *, int, int, int, int, int, float *);

// A Winograd kernel pair for the 4×4 stride-2 layers.
typedef struct {
    const char *name;
    int family, transformed, tile;   // floats of U per cin·cout; rows of a tile row
    void (*weights[2])(int, int, const float *, float *);   // convolution, transposed
    long (*scratch[2])(int, int, int, int);
    winograd_kernel kernel[2];
} strided_winograd;

// The convolution and the transposed convolution of `k`, with bias and leaky
// ReLU, against the double references on odd and stacked shapes (sides that
// are no multiple of the tile, widths on both sides of a vector or quad, one
// pixel), in one band and in two; and that the NEON code ran.
static void check_strided_winograd(const strided_winograd *k) {
    static const int conv_shapes[][4] = {{3, 8, 8, 5}, {2, 6, 10, 3}, {5, 34, 66, 7}, {1, 2, 2, 1}, {4, 16, 40, 9},
                                         {3, 70, 18, 4}, {2, 35, 33, 9}, {3, 10, 31, 5}};
    static const int transposed_shapes[][4] = {{3, 4, 4, 5}, {2, 3, 5, 3}, {5, 9, 17, 7}, {1, 1, 1, 1},
                                               {4, 8, 20, 9}, {2, 19, 6, 3}, {3, 13, 33, 8}, {2, 17, 47, 3}};
    long before = md_kernel_runs(k->family, MD_CPU_NEON);
    for (int transposed = 0; transposed < 2; transposed++) {
        for (int s = 0; s < 8; s++) {
            const int *shape = transposed ? transposed_shapes[s] : conv_shapes[s];
            int c = shape[0], h = shape[1], w = shape[2], o = shape[3];
            int oh = transposed ? 2 * h : h / 2, ow = transposed ? 2 * w : w / 2;
            float *in = malloc(sizeof(float) * c * h * w), *g = malloc(sizeof(float) * o * c * 16);
            float *u = malloc(sizeof(float) * k->transformed * o * c), *bias = malloc(sizeof(float) * o);
            float *out = malloc(sizeof(float) * o * oh * ow), *expected = malloc(sizeof(float) * o * oh * ow);
            for (int i = 0; i < c * h * w; i++) in[i] = random_float();
            for (int i = 0; i < o * c * 16; i++) g[i] = 0.3f * random_float();
            for (int i = 0; i < o; i++) bias[i] = random_float();
            k->weights[transposed](c, o, g, u);
            if (transposed) {
                reference_transposed(in, c, h, w, g, o, bias, expected);
            } else {
                reference_conv(in, c, h, w, g, o, 4, 2, 1, bias, expected, oh, ow);
            }
            for (int i = 0; i < o * oh * ow; i++) expected[i] = expected[i] > 0 ? expected[i] : 0.2f * expected[i];
            // A tile row: `tile` output rows of the convolution, `tile` input rows of the transposed one.
            int tile_rows = ((transposed ? h : oh) + k->tile - 1) / k->tile;
            long scratch_floats = k->scratch[transposed](c, o, transposed ? w : ow, tile_rows);
            for (int split = 0; split < 2; split++) {
                int cut = split ? tile_rows / 2 : 0;
                float *scratch = malloc(sizeof(float) * scratch_floats);
                md_winograd_layer layer = {c, h, w, o, in, u, bias, out, MD_ACTIVATION_LEAKY_RELU, 0.2f};
                for (int i = 0; i < o * oh * ow; i++) out[i] = NAN;
                int ran = 1;
                for (int band = 0; band < 2; band++) {
                    int first = band ? cut : 0, last = band ? tile_rows : cut;
                    if (first == last) continue;
                    ran &= k->kernel[transposed](&layer, MD_WINOGRAD_ALL, first, last, 0, 0, scratch) == 1;
                }
                char what[112];
                snprintf(what, sizeof what, "winograd %s %s c %d h %d w %d o %d bands %d", k->name,
                         transposed ? "transposed" : "conv", c, h, w, o, split + 1);
                check(ran && relative_error(out, expected, (long)o * oh * ow) < 1e-5, what);
                free(scratch);
            }
            free(in), free(g), free(u), free(bias), free(out), free(expected);
        }
    }
    char what[64];
    snprintf(what, sizeof what, "the NEON Winograd %s kernels ran", k->name);
    check(md_kernel_runs(k->family, MD_CPU_NEON) > before, what);
}

static void test_winograd_f22(void) {
    strided_winograd k = {"f22", MD_FAMILY_STRIDED_WINOGRAD, 36, 2,
                          {md_winograd_f22_conv_weights, md_winograd_f22_transposed_weights},
                          {md_winograd_f22_conv_scratch, md_winograd_f22_transposed_scratch},
                          {md_winograd_f22_conv, md_winograd_f22_transposed}};
    check_strided_winograd(&k);
}

static void test_winograd_f42(void) {
    strided_winograd k = {"f42", MD_FAMILY_STRIDED_WINOGRAD_F42, 100, 4,
                          {md_winograd_f42_conv_weights, md_winograd_f42_transposed_weights},
                          {md_winograd_f42_conv_scratch, md_winograd_f42_transposed_scratch},
                          {md_winograd_f42_conv, md_winograd_f42_transposed}};
    check_strided_winograd(&k);
}

// WinogradF43.transformWeights (Swift) again: U[ξ][o][i] = (G g Gᵀ)[ξ],
// in double, rounded once.
static void transform_f43_weights(const float *g, int cout, int cin, float *u) {
    static const double G[6][3] = {{0.25, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                   {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
    for (int o = 0; o < cout; o++)
        for (int i = 0; i < cin; i++) {
            const float *k = g + (o * cin + i) * 9;
            for (int r = 0; r < 6; r++)
                for (int c = 0; c < 6; c++) {
                    double sum = 0;
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++) sum += G[r][a] * k[a * 3 + b] * G[c][b];
                    u[((long)(r * 6 + c) * cout + o) * cin + i] = (float)sum;
                }
        }
}

// A 3×3 Winograd kernel (F(2×2, 3×3) or F(4×4, 3×3)) with bias and an
// activation against the direct convolution, on odd sizes (rows stacked two
// to a vector, quads inside the image and at its edges, blocks past the
// band), in one band and in two; and that the NEON code of `family` ran.
static void check_winograd_3x3(const char *name, int tile, winograd_kernel kernel,
                               long (*scratch_floats)(int, int, int, int),
                               void (*transform)(const float *, int, int, float *), int transformed, int family,
                               int activation, float slope, double bound) {
    static const int shapes[][4] = {{5, 7, 9, 3}, {3, 8, 8, 11}, {16, 13, 6, 7}, {1, 1, 1, 2}, {2, 2, 3, 1},
                                    {3, 5, 33, 9}, {2, 4, 65, 17}, {7, 3, 31, 5}, {4, 37, 16, 6}, {5, 20, 64, 7},
                                    {9, 14, 47, 16}};
    long before = md_kernel_runs(family, MD_CPU_NEON);
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int c = shapes[s][0], h = shapes[s][1], w = shapes[s][2], o = shapes[s][3];
        float *in = malloc(sizeof(float) * c * h * w), *g = malloc(sizeof(float) * o * c * 9);
        float *u = malloc(sizeof(float) * transformed * o * c), *bias = malloc(sizeof(float) * o);
        float *out = malloc(sizeof(float) * o * h * w), *expected = malloc(sizeof(float) * o * h * w);
        for (int i = 0; i < c * h * w; i++) in[i] = random_float();
        for (int i = 0; i < o * c * 9; i++) g[i] = 0.3f * random_float();
        for (int i = 0; i < o; i++) bias[i] = random_float();
        transform(g, o, c, u);
        reference_conv(in, c, h, w, g, o, 3, 1, 1, bias, expected, h, w);
        for (int i = 0; i < o * h * w; i++) {
            if (expected[i] < 0) expected[i] = activation == MD_ACTIVATION_RELU ? 0 : slope * expected[i];
        }
        int tile_rows = (h + tile - 1) / tile;
        for (int split = 0; split < 2; split++) {
            int cut = split ? tile_rows / 2 : 0;
            float *scratch = malloc(sizeof(float) * scratch_floats(c, o, w, tile_rows));
            md_winograd_layer layer = {c, h, w, o, in, u, bias, out, activation, slope};
            for (int i = 0; i < o * h * w; i++) out[i] = NAN;
            int ran = (cut == 0 || kernel(&layer, MD_WINOGRAD_ALL, 0, cut, 0, 0, scratch) == 1) &&
                      kernel(&layer, MD_WINOGRAD_ALL, cut, tile_rows, 0, 0, scratch) == 1;
            char what[96];
            snprintf(what, sizeof what, "winograd %s c %d h %d w %d o %d bands %d", name, c, h, w, o, split + 1);
            check(ran && relative_error(out, expected, (long)o * h * w) < bound, what);
            free(scratch);
        }
        free(in), free(g), free(u), free(bias), free(out), free(expected);
    }
    char what[64];
    snprintf(what, sizeof what, "the NEON Winograd %s kernel ran", name);
    check(md_kernel_runs(family, MD_CPU_NEON) > before, what);
}

static void test_winograd_f23(void) {
    check_winograd_3x3("f23", 2, md_winograd_f23, md_winograd_f23_scratch, transform_f23_weights, 16,
                       MD_FAMILY_WINOGRAD, MD_ACTIVATION_RELU, 0, 1e-5);
}

static void test_winograd_f43(void) {
    check_winograd_3x3("f43", 4, md_winograd_f43, md_winograd_f43_scratch, transform_f43_weights, 36,
                       MD_FAMILY_WINOGRAD_F43, MD_ACTIVATION_LEAKY_RELU, 0.2f, 2e-5);
}

// A random A (m×k) and B (k×n), B also packed in strips of 32 columns,
// C filled with NaN, and the reference chains' C.
typedef struct {
    float *a, *b, *packed, *c, *expected;
} gemm_operands;

static gemm_operands make_gemm_operands(int m, int n, int k) {
    gemm_operands o;
    o.a = malloc(sizeof(float) * m * k), o.b = malloc(sizeof(float) * k * n);
    o.packed = calloc((size_t)(n + 31) / 32 * 32 * k, sizeof(float));
    o.c = malloc(sizeof(float) * m * n), o.expected = malloc(sizeof(float) * m * n);
    for (int i = 0; i < m * k; i++) o.a[i] = random_float();
    for (int i = 0; i < k * n; i++) o.b[i] = random_float();
    for (int j = 0; j < n; j++)
        for (int p = 0; p < k; p++) o.packed[((j / 32) * k + p) * 32 + j % 32] = o.b[p * n + j];
    for (int i = 0; i < m * n; i++) o.c[i] = NAN;
    reference_gemm(m, n, k, o.a, o.b, o.expected);
    return o;
}

static void free_gemm_operands(gemm_operands o) { free(o.a), free(o.b), free(o.packed), free(o.c), free(o.expected); }

// The panels GEMM against the same chains, row-major and packed B, partial
// panels, column blocks across strips, depths past one k block.
static void test_panels(void) {
    static const int shapes[][3] = {{1, 1, 1}, {17, 5, 9}, {70, 7, 33}, {16, 1, 600}, {31, 40, 521}, {5, 33, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        gemm_operands o = make_gemm_operands(m, n, k);
        float *panels = malloc(sizeof(float) * ((m + 15) / 16) * 16 * k);
        md_pack_panels(m, k, o.a, k, panels);
        long before = md_kernel_runs(MD_FAMILY_PANELS, MD_CPU_NEON);
        char what[96];
        snprintf(what, sizeof what, "panels row-major m %d n %d k %d", m, n, k);
        check(md_sgemm_panels(m, n, k, panels, o.b, n, 32, o.c, n) == 1 &&
                  memcmp(o.c, o.expected, sizeof(float) * m * n) == 0,
              what);
        for (int i = 0; i < m * n; i++) o.c[i] = NAN;
        snprintf(what, sizeof what, "panels packed m %d n %d k %d", m, n, k);
        check(md_sgemm_panels(m, n, k, panels, o.packed, 32, 32L * k, o.c, n) == 1 &&
                  memcmp(o.c, o.expected, sizeof(float) * m * n) == 0,
              what);
        snprintf(what, sizeof what, "the NEON panels kernel ran (m %d n %d k %d)", m, n, k);
        check(md_kernel_runs(MD_FAMILY_PANELS, MD_CPU_NEON) == before + 2, what);
        free(panels), free_gemm_operands(o);
    }
}

// The blocks GEMM against the same chains, row-major and packed B: partial
// micro-panels and row blocks, depth blocks with a tail, column tiles with a
// tail (the padded copy of B), rows split as two threads would.
static void test_blocks(void) {
    static const int shapes[][3] = {{1, 1, 1}, {17, 5, 9}, {97, 70, 257}, {13, 16, 128}, {6, 33, 3}, {203, 40, 131}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        gemm_operands o = make_gemm_operands(m, n, k);
        float *blocks = malloc(sizeof(float) * md_blocks_count(m, k));
        md_pack_blocks(m, k, o.a, k, 1, blocks);
        long before = md_kernel_runs(MD_FAMILY_BLOCKS, MD_CPU_NEON);
        int split = (m + 5) / 6 / 2 * 6; // the first half of the micro-panels
        char what[96];
        snprintf(what, sizeof what, "blocks row-major m %d n %d k %d", m, n, k);
        check(md_sgemm_blocks(m, n, k, 0, split, blocks, o.b, n, 32, o.c, n) == 1 &&
                  md_sgemm_blocks(m, n, k, split, m, blocks, o.b, n, 32, o.c, n) == 1 &&
                  memcmp(o.c, o.expected, sizeof(float) * m * n) == 0,
              what);
        for (int i = 0; i < m * n; i++) o.c[i] = NAN;
        snprintf(what, sizeof what, "blocks packed m %d n %d k %d", m, n, k);
        check(md_sgemm_blocks(m, n, k, 0, m, blocks, o.packed, 32, 32L * k, o.c, n) == 1 &&
                  memcmp(o.c, o.expected, sizeof(float) * m * n) == 0,
              what);
        snprintf(what, sizeof what, "the NEON blocks kernel ran (m %d n %d k %d)", m, n, k);
        check(md_kernel_runs(MD_FAMILY_BLOCKS, MD_CPU_NEON) == before + 3, what);
        free(blocks), free_gemm_operands(o);
    }
}

// Adam on counts that end between vectors, both moment formulas, against
// the scalar loop (this file is compiled without contraction, as adam.c).
static void test_adam(void) {
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

int main(void) {
    check(md_cpu_detected() == MD_CPU_NEON, "the detected tier is neon");
    check(md_cpu_tier() == MD_CPU_NEON, "the tier in use is neon");
    test_strips();
    test_activations();
    test_warp();
    test_winograd_f23();
    test_winograd_f43();
    test_winograd_f22();
    test_winograd_f42();
    test_adam();
    test_panels();
    test_blocks();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
