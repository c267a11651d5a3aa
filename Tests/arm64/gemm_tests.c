// The GEMMs of the NEON tier (sgemm_strips, sgemm_panels, sgemm_blocks)
// against every element's fused multiply-add chain, bit for bit.
#include "kernel_tests.h"

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

// Whether C holds the reference chains' bits; C is filled with NaN again
// for the next product.
static int matches_reference(gemm_operands o, int m, int n) {
    int same = memcmp(o.c, o.expected, sizeof(float) * m * n) == 0;
    for (int i = 0; i < m * n; i++) o.c[i] = NAN;
    return same;
}

// The strips GEMM, B row-major and packed, against the chains.
void test_strips(void) {
    static const int shapes[][3] = {{1, 1, 1}, {1, 17, 3}, {7, 33, 5}, {8, 64, 9}, {13, 70, 31}, {6, 16, 1},
                                    {32, 31, 288}, {17, 100, 3}, {9, 15, 20}, {5, 48, 7}, {3, 1, 300}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        gemm_operands o = make_gemm_operands(m, n, k);
        char what[96];
        long before = md_kernel_runs(MD_FAMILY_STRIPS, MD_CPU_NEON);
        snprintf(what, sizeof what, "strips m %d n %d k %d", m, n, k);
        check(md_sgemm_strips(m, n, k, o.a, k, o.b, n, o.c, n) == 1 && matches_reference(o, m, n), what);
        snprintf(what, sizeof what, "packed strips m %d n %d k %d", m, n, k);
        check(md_sgemm_packed_strips(m, n, k, o.a, k, o.packed, o.c, n) == 1 && matches_reference(o, m, n), what);
        snprintf(what, sizeof what, "the NEON strips kernel ran (m %d n %d k %d)", m, n, k);
        check(md_kernel_runs(MD_FAMILY_STRIPS, MD_CPU_NEON) == before + 2, what);
        free_gemm_operands(o);
    }
}

// The panels GEMM against the same chains, row-major and packed B, partial
// panels, column blocks across strips, depths past one k block.
void test_panels(void) {
    static const int shapes[][3] = {{1, 1, 1}, {17, 5, 9}, {70, 7, 33}, {16, 1, 600}, {31, 40, 521}, {5, 33, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        gemm_operands o = make_gemm_operands(m, n, k);
        float *panels = malloc(sizeof(float) * ((m + 15) / 16) * 16 * k);
        md_pack_panels(m, k, o.a, k, panels);
        long before = md_kernel_runs(MD_FAMILY_PANELS, MD_CPU_NEON);
        char what[96];
        snprintf(what, sizeof what, "panels row-major m %d n %d k %d", m, n, k);
        check(md_sgemm_panels(m, n, k, panels, o.b, n, 32, o.c, n) == 1 && matches_reference(o, m, n), what);
        snprintf(what, sizeof what, "panels packed m %d n %d k %d", m, n, k);
        check(md_sgemm_panels(m, n, k, panels, o.packed, 32, 32L * k, o.c, n) == 1 && matches_reference(o, m, n), what);
        snprintf(what, sizeof what, "the NEON panels kernel ran (m %d n %d k %d)", m, n, k);
        check(md_kernel_runs(MD_FAMILY_PANELS, MD_CPU_NEON) == before + 2, what);
        free(panels), free_gemm_operands(o);
    }
}

// The blocks GEMM against the same chains, row-major and packed B: partial
// micro-panels and row blocks, depth blocks with a tail, column tiles with a
// tail (the padded copy of B), rows split as two threads would.
void test_blocks(void) {
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
                  matches_reference(o, m, n),
              what);
        snprintf(what, sizeof what, "blocks packed m %d n %d k %d", m, n, k);
        check(md_sgemm_blocks(m, n, k, 0, m, blocks, o.packed, 32, 32L * k, o.c, n) == 1 &&
                  matches_reference(o, m, n),
              what);
        snprintf(what, sizeof what, "the NEON blocks kernel ran (m %d n %d k %d)", m, n, k);
        check(md_kernel_runs(MD_FAMILY_BLOCKS, MD_CPU_NEON) == before + 3, what);
        free(blocks), free_gemm_operands(o);
    }
}
