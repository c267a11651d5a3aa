/*
** The C ABI's threading promise, checked from C: THREADS threads, each with
** its own single-threaded session on one shared model, make CALLS generate
** (and, with a segmenter, segment) calls each; every output must equal,
** bit for bit, the same call made on one session one call at a time.
** scripts/sanitize builds this with -fsanitize=thread against a
** ThreadSanitizer build of libmedaug.
**
**   concurrency GENERATOR.safetensors [SEGMENTER.safetensors]
**
** Exit status 0 when every output matches; 1 with a message otherwise.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "medaug.h"

#define THREADS 8
#define CALLS 100

typedef struct {
    const medaug_model_t *generator, *segmenter;
    size_t side, channels, segmenter_side, segmenter_channels, class_count;
    const int32_t *values;
    float *images;      /* [THREADS][CALLS][channels*side*side] results */
    int32_t *labels;    /* [THREADS][CALLS][segmenter_side^2] results */
    int failures;
} shared_t;

typedef struct {
    shared_t *shared;
    int thread;
} job_t;

/* Deterministic inputs of call (thread, call). */
static uint64_t next(uint64_t *state) {
    *state ^= *state << 13; *state ^= *state >> 7; *state ^= *state << 17;
    return *state;
}

static void inputs(const shared_t *s, int thread, int call, int32_t *map, float *image) {
    uint64_t state = (uint64_t)(thread * CALLS + call) * 0x9E3779B97F4A7C15ull | 1;
    size_t i;
    for (i = 0; i < s->side * s->side; i++) map[i] = s->values[next(&state) % s->class_count];
    if (image)
        for (i = 0; i < s->segmenter_channels * s->segmenter_side * s->segmenter_side; i++)
            image[i] = (float)(next(&state) >> 40) / (float)(1 << 23) - 1.0f;
}

/* Runs the calls of `thread` on its own sessions into the result slots. */
static int run(shared_t *s, int thread) {
    medaug_session_t *g = NULL, *seg = NULL;
    medaug_session_options_t session_options = MEDAUG_SESSION_OPTIONS_INIT;
    medaug_generate_options_t options = MEDAUG_GENERATE_OPTIONS_INIT;
    size_t image_count = s->channels * s->side * s->side, plane = s->segmenter_side * s->segmenter_side;
    int32_t *map = malloc(s->side * s->side * sizeof *map);
    float *input = malloc((s->segmenter_channels * plane + 1) * sizeof *input);
    int call, status = MEDAUG_OK;
    session_options.threads = 1;
    if (map == NULL || input == NULL) status = MEDAUG_OUT_OF_MEMORY;
    if (status == MEDAUG_OK) status = medaug_session_create(s->generator, &session_options, &g);
    if (status == MEDAUG_OK && s->segmenter) status = medaug_session_create(s->segmenter, &session_options, &seg);
    for (call = 0; call < CALLS && status == MEDAUG_OK; call++) {
        size_t slot = (size_t)thread * CALLS + (size_t)call;
        inputs(s, thread, call, map, s->segmenter ? input : NULL);
        options.normalization = MEDAUG_NORMALIZATION_INSTANCE;
        options.dropout = MEDAUG_DROPOUT_ON;
        options.seed = slot + 1;
        status = medaug_generate(g, map, 1, s->side, s->side, &options, s->images + slot * image_count, image_count);
        if (status == MEDAUG_OK && seg)
            status = medaug_segment(seg, input, 1, s->segmenter_channels, s->segmenter_side, s->segmenter_side, NULL,
                                    NULL, 0, s->labels + slot * plane, plane);
    }
    if (status != MEDAUG_OK) fprintf(stderr, "thread %d: %s: %s\n", thread, medaug_status_string(status), medaug_last_error());
    (void)medaug_session_free(g);
    (void)medaug_session_free(seg);
    free(map);
    free(input);
    return status;
}

static void *worker(void *argument) {
    job_t *job = argument;
    if (run(job->shared, job->thread) != MEDAUG_OK) __atomic_add_fetch(&job->shared->failures, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static int load(const char *path, medaug_model_t **model, medaug_model_info_t *info) {
    int status = medaug_model_load_file(path, model);
    if (status == MEDAUG_OK) status = medaug_model_info(*model, info);
    if (status != MEDAUG_OK) fprintf(stderr, "%s: %s\n", path, medaug_last_error());
    return status;
}

int main(int argc, char **argv) {
    shared_t s;
    medaug_model_t *generator = NULL, *segmenter = NULL;
    medaug_model_info_t info = MEDAUG_MODEL_INFO_INIT, seg_info = MEDAUG_MODEL_INFO_INIT;
    int32_t values[64];
    float *sequential_images = NULL;
    int32_t *sequential_labels = NULL;
    pthread_t threads[THREADS];
    job_t jobs[THREADS];
    size_t image_total, label_total;
    int t, ok = 1;

    memset(&s, 0, sizeof s);
    if (argc < 2) { fprintf(stderr, "usage: %s GENERATOR [SEGMENTER]\n", argv[0]); return 2; }
    if (load(argv[1], &generator, &info) != MEDAUG_OK) return 1;
    if (argc > 2 && load(argv[2], &segmenter, &seg_info) != MEDAUG_OK) return 1;
    if (info.class_count > 64 || medaug_model_label_values(generator, values, 64) != MEDAUG_OK) return 1;
    s.generator = generator; s.segmenter = segmenter; s.values = values;
    s.side = info.image_size; s.channels = info.image_channels; s.class_count = info.class_count;
    s.segmenter_side = segmenter ? seg_info.image_size : 0;
    s.segmenter_channels = segmenter ? seg_info.image_channels : 0;
    image_total = (size_t)THREADS * CALLS * s.channels * s.side * s.side;
    label_total = (size_t)THREADS * CALLS * s.segmenter_side * s.segmenter_side + 1;
    s.images = malloc(image_total * sizeof *s.images);
    s.labels = malloc(label_total * sizeof *s.labels);
    sequential_images = malloc(image_total * sizeof *sequential_images);
    sequential_labels = malloc(label_total * sizeof *sequential_labels);
    if (!s.images || !s.labels || !sequential_images || !sequential_labels) return 1;

    /* Sequential reference: every thread's calls, one after another. */
    for (t = 0; t < THREADS; t++)
        if (run(&s, t) != MEDAUG_OK) return 1;
    memcpy(sequential_images, s.images, image_total * sizeof *s.images);
    memcpy(sequential_labels, s.labels, label_total * sizeof *s.labels);
    memset(s.images, 0, image_total * sizeof *s.images);
    memset(s.labels, 0xff, label_total * sizeof *s.labels);

    for (t = 0; t < THREADS; t++) {
        jobs[t].shared = &s;
        jobs[t].thread = t;
        if (pthread_create(&threads[t], NULL, worker, &jobs[t]) != 0) { fprintf(stderr, "pthread_create failed\n"); return 1; }
    }
    for (t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    if (s.failures) { fprintf(stderr, "%d thread(s) failed\n", s.failures); ok = 0; }
    if (memcmp(s.images, sequential_images, image_total * sizeof *s.images) != 0) {
        fprintf(stderr, "generated images differ from the sequential calls\n"); ok = 0;
    }
    if (segmenter && memcmp(s.labels, sequential_labels, (label_total - 1) * sizeof *s.labels) != 0) {
        fprintf(stderr, "label maps differ from the sequential calls\n"); ok = 0;
    }
    if (ok) printf("concurrency: %d threads x %d calls%s: bitwise equal to sequential calls\n", THREADS, CALLS,
                   segmenter ? " (generate + segment)" : " (generate)");
    free(s.images); free(s.labels); free(sequential_images); free(sequential_labels);
    (void)medaug_model_free(generator);
    (void)medaug_model_free(segmenter);
    return ok ? 0 : 1;
}
