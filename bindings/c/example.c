/*
** example.c: libmedaug from C.
**
**   example GENERATOR.safetensors [SEGMENTER.safetensors]
**
** Loads a generator, draws a label map in code (a disc of the last class
** inside a square of the middle class on the first class's background),
** synthesises one image from it with seeded dropout, and, given a
** segmenter, segments an image (the synthetic one if it fits the
** segmenter, else an intensity ramp) and counts pixels per label value.
** Every call's status is printed; the last call shows an error on purpose.
** Exit status 0 if every call that should succeed did.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medaug.h"

/* Prints one call's status and, on failure, the thread's error message. */
static int report(const char *call, int status) {
    if (status == MEDAUG_OK) {
        printf("%-28s %s\n", call, medaug_status_string(status));
    } else {
        printf("%-28s %s (%d): %s\n", call, medaug_status_string(status), status, medaug_last_error());
    }
    return status;
}

static const char *kind_name(int32_t kind) {
    switch (kind) {
    case MEDAUG_KIND_GENERATOR: return "generator";
    case MEDAUG_KIND_DISCRIMINATOR: return "discriminator";
    case MEDAUG_KIND_SEGMENTER: return "segmenter";
    default: return "unknown";
    }
}

/* Loads a model and its description; prints both. */
static int load(const char *path, medaug_model_t **model, medaug_model_info_t *info) {
    int status = report("medaug_model_load_file", medaug_model_load_file(path, model));
    if (status != MEDAUG_OK) return status;
    status = report("medaug_model_info", medaug_model_info(*model, info));
    if (status != MEDAUG_OK) return status;
    printf("  %s: %s, %zux%zu, %zu image channel(s), %zu classes\n", path, kind_name(info->kind),
           info->image_size, info->image_size, info->image_channels, info->class_count);
    return MEDAUG_OK;
}

/* Synthesises one image into *image (malloc'd; the caller frees it). */
static int generate(medaug_model_t *model, const medaug_model_info_t *info, float **image, size_t *image_count) {
    medaug_session_t *session = NULL;
    medaug_session_options_t session_options = MEDAUG_SESSION_OPTIONS_INIT;
    medaug_generate_options_t options = MEDAUG_GENERATE_OPTIONS_INIT;
    size_t side = info->image_size, classes = info->class_count, x, y;
    int32_t *values = malloc((classes > 0 ? classes : 1) * sizeof *values);
    int32_t *labels = malloc(side * side * sizeof *labels);
    double sum = 0.0, minimum = INFINITY, maximum = -INFINITY;
    size_t i;
    int status = MEDAUG_OUT_OF_MEMORY;

    *image = NULL;
    if (values == NULL || labels == NULL) goto done;
    status = report("medaug_model_label_values", medaug_model_label_values(model, values, classes));
    if (status != MEDAUG_OK) goto done;
    for (y = 0; y < side; y++) {
        for (x = 0; x < side; x++) {
            double dx = (double)x - side / 2.0, dy = (double)y - side / 2.0;
            size_t class_index = 0;
            if (x > side / 8 && x < side - side / 8 && y > side / 8 && y < side - side / 8) class_index = classes / 2;
            if (dx * dx + dy * dy < (side / 6.0) * (side / 6.0)) class_index = classes - 1;
            labels[y * side + x] = values[class_index];
        }
    }
    session_options.threads = 2;
    status = report("medaug_session_create", medaug_session_create(model, &session_options, &session));
    if (status != MEDAUG_OK) goto done;
    status = report("medaug_generate_output_count", medaug_generate_output_count(session, 1, image_count));
    if (status != MEDAUG_OK) goto done;
    *image = malloc(*image_count * sizeof **image);
    if (*image == NULL) { status = MEDAUG_OUT_OF_MEMORY; goto done; }
    options.dropout = MEDAUG_DROPOUT_ON;
    options.seed = 42;
    status = report("medaug_generate", medaug_generate(session, labels, 1, side, side, &options, *image, *image_count));
    if (status != MEDAUG_OK) goto done;
    for (i = 0; i < *image_count; i++) {
        sum += (*image)[i];
        if ((*image)[i] < minimum) minimum = (*image)[i];
        if ((*image)[i] > maximum) maximum = (*image)[i];
    }
    printf("  image: %zu values, mean %.4f, range [%.4f, %.4f]\n", *image_count, sum / (double)*image_count, minimum,
           maximum);

    /* On purpose: a label value the model does not know. */
    labels[0] = 65536;
    if (report("medaug_generate (bad label)", medaug_generate(session, labels, 1, side, side, &options, *image,
                                                              *image_count)) != MEDAUG_INVALID_ARGUMENT) {
        status = MEDAUG_ERROR;
    }
done:
    if (status != MEDAUG_OK) {
        free(*image);
        *image = NULL;
    }
    (void)medaug_session_free(session);
    free(labels);
    free(values);
    return status;
}

/* Segments `image` if it fits the segmenter, else a ramp; counts labels. */
static int segment(medaug_model_t *model, const medaug_model_info_t *info, const float *image, size_t image_count) {
    medaug_session_t *session = NULL;
    medaug_segment_options_t options = MEDAUG_SEGMENT_OPTIONS_INIT;
    size_t side = info->image_size, channels = info->image_channels, count = side * side * channels, i, c;
    size_t probabilities_count = 0, labels_count = 0;
    float *input = malloc(count * sizeof *input);
    float *probabilities = NULL;
    int32_t *labels = NULL, *values = malloc(info->class_count * sizeof *values);
    int status = MEDAUG_OUT_OF_MEMORY;

    if (input == NULL || values == NULL) goto done;
    if (image != NULL && image_count == count) {
        memcpy(input, image, count * sizeof *input);
        printf("  segmenting the synthetic image\n");
    } else {
        for (i = 0; i < count; i++) input[i] = -1.0f + 2.0f * (float)(i % side) / (float)(side > 1 ? side - 1 : 1);
        printf("  segmenting an intensity ramp (the synthetic image does not fit this segmenter)\n");
    }
    status = report("medaug_model_label_values", medaug_model_label_values(model, values, info->class_count));
    if (status != MEDAUG_OK) goto done;
    status = report("medaug_session_create", medaug_session_create(model, NULL, &session));
    if (status != MEDAUG_OK) goto done;
    status = report("medaug_segment_output_counts",
                    medaug_segment_output_counts(session, 1, &probabilities_count, &labels_count));
    if (status != MEDAUG_OK) goto done;
    probabilities = malloc(probabilities_count * sizeof *probabilities);
    labels = malloc(labels_count * sizeof *labels);
    if (probabilities == NULL || labels == NULL) { status = MEDAUG_OUT_OF_MEMORY; goto done; }
    status = report("medaug_segment", medaug_segment(session, input, 1, channels, side, side, &options, probabilities,
                                                     probabilities_count, labels, labels_count));
    if (status != MEDAUG_OK) goto done;
    for (c = 0; c < info->class_count; c++) {
        size_t pixels = 0;
        for (i = 0; i < labels_count; i++) pixels += labels[i] == values[c];
        printf("  label value %d: %zu pixels\n", (int)values[c], pixels);
    }

    /* On purpose: a NaN pixel. */
    input[0] = NAN;
    if (report("medaug_segment (NaN input)",
               medaug_segment(session, input, 1, channels, side, side, &options, NULL, 0, labels, labels_count)) !=
        MEDAUG_INVALID_ARGUMENT) {
        status = MEDAUG_ERROR;
    }
done:
    (void)medaug_session_free(session);
    free(labels);
    free(probabilities);
    free(values);
    free(input);
    return status;
}

int main(int argc, char **argv) {
    medaug_model_t *generator = NULL, *segmenter = NULL;
    medaug_model_info_t generator_info = MEDAUG_MODEL_INFO_INIT, segmenter_info = MEDAUG_MODEL_INFO_INIT;
    float *image = NULL;
    size_t image_count = 0;
    int status;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s GENERATOR.safetensors [SEGMENTER.safetensors]\n", argv[0]);
        return 2;
    }
    printf("libmedaug %s (ABI %d), header %s (ABI %d)\n", medaug_version(), medaug_abi_version(), MEDAUG_VERSION,
           MEDAUG_ABI_VERSION);
    if (medaug_abi_version() != MEDAUG_ABI_VERSION) {
        fprintf(stderr, "header and library ABI versions differ\n");
        return 1;
    }
    status = load(argv[1], &generator, &generator_info);
    if (status == MEDAUG_OK) status = generate(generator, &generator_info, &image, &image_count);
    if (status == MEDAUG_OK && argc == 3) {
        status = load(argv[2], &segmenter, &segmenter_info);
        if (status == MEDAUG_OK) status = segment(segmenter, &segmenter_info, image, image_count);
    }
    free(image);
    report("medaug_model_free", medaug_model_free(segmenter));
    report("medaug_model_free", medaug_model_free(generator));
    /* On purpose: a double free, detected. */
    if (generator != NULL && report("medaug_model_free (again)", medaug_model_free(generator)) != MEDAUG_INVALID_ARGUMENT) {
        status = MEDAUG_ERROR;
    }
    printf("%s\n", status == MEDAUG_OK ? "example: OK" : "example: FAILED");
    return status == MEDAUG_OK ? 0 : 1;
}
