// The Winograd kernels of the NEON tier (F(2×2, 3×3), F(4×4, 3×3) and the
// stride-2 F(2×2, 2×2), F(4×4, 2×2) pairs) against direct convolutions in
// double.
#include "kernel_tests.h"

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

void test_winograd_f22(void) {
    strided_winograd k = {"f22", MD_FAMILY_STRIDED_WINOGRAD, 36, 2,
                          {md_winograd_f22_conv_weights, md_winograd_f22_transposed_weights},
                          {md_winograd_f22_conv_scratch, md_winograd_f22_transposed_scratch},
                          {md_winograd_f22_conv, md_winograd_f22_transposed}};
    check_strided_winograd(&k);
}

void test_winograd_f42(void) {
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

void test_winograd_f23(void) {
    check_winograd_3x3("f23", 2, md_winograd_f23, md_winograd_f23_scratch, transform_f23_weights, 16,
                       MD_FAMILY_WINOGRAD, MD_ACTIVATION_RELU, 0, 1e-5);
}

void test_winograd_f43(void) {
    check_winograd_3x3("f43", 4, md_winograd_f43, md_winograd_f43_scratch, transform_f43_weights, 36,
                       MD_FAMILY_WINOGRAD_F43, MD_ACTIVATION_LEAKY_RELU, 0.2f, 2e-5);
}
