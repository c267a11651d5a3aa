// GDCM behind medaug_dicom.h.
//
// Every read runs GDCM in a forked child process. Debian builds GDCM with
// assertions on, and valid-but-unusual files (pydicom's rtdose_1frame.dcm)
// as well as malformed ones reach an assert() and abort(): in-process that
// would take the caller's whole program down. The child sends the result
// back over a pipe and exits; a child that dies or hangs is an error for
// that one file. Inside the child, every GDCM call runs inside one try
// block, and its stderr (libjpeg and OpenJPEG print there) goes to
// /dev/null. If fork() itself fails (no memory for the page tables), the
// read runs in-process as a fallback.
#include "medaug_dicom.h"

#include "decoder_process.h"

#include <gdcm-3.0/gdcmImageHelper.h>
#include <gdcm-3.0/gdcmImageReader.h>
#include <gdcm-3.0/gdcmReader.h>
#include <gdcm-3.0/gdcmSequenceOfItems.h>
#include <gdcm-3.0/gdcmStringFilter.h>
#include <gdcm-3.0/gdcmTag.h>
#include <gdcm-3.0/gdcmTrace.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <sstream>
#include <string>

namespace {

using mdcm::set_error;

void copy_string(char *dst, size_t size, std::string value) {
    // DICOM pads strings with spaces or NULs; trim them.
    while (!value.empty() && (value.back() == ' ' || value.back() == '\0')) value.pop_back();
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    std::snprintf(dst, size, "%s", value.c_str());
}

std::once_flag configured;
// GDCM's diagnostics go to one global stream, and some problems are only
// diagnostics: a truncated Pixel Data element is zero-padded with just the
// warning "Incomplete Pixel Data". The stream is captured here (the child
// is single-threaded; the in-process fallback takes the mutex) and searched
// after each read.
std::mutex gdcm_mutex;
std::ostringstream diagnostics;

void configure() {
    gdcm::Trace::SetDebug(false);
    gdcm::Trace::SetWarning(true);
    gdcm::Trace::SetError(true);
    gdcm::Trace::SetWarningStream(diagnostics);
    gdcm::Trace::SetErrorStream(diagnostics);
    // GDCM ignores Rescale Slope/Intercept for MR objects unless forced;
    // MR data written with a rescale (e.g. Philips) would come out wrong.
    gdcm::ImageHelper::SetForceRescaleInterceptSlope(true);
    // Read Pixel Spacing also where the IOD says Imager Pixel Spacing.
    gdcm::ImageHelper::SetForcePixelSpacing(true);
}

// Sign-extends `count` samples of type Signed from bit `bits_stored` - 1:
// move the sign bit to the top, then shift back arithmetically.
template <typename Unsigned, typename Signed>
void sign_extend(void *buffer, uint64_t count, unsigned bits_stored) {
    const int shift = int(8 * sizeof(Unsigned)) - int(bits_stored);
    if (shift <= 0) return;
    Unsigned *p = static_cast<Unsigned *>(buffer);
    for (uint64_t i = 0; i < count; i++) p[i] = Unsigned(Signed(Unsigned(p[i] << shift)) >> shift);
}

int sample_type(const gdcm::PixelFormat &pf, std::string &problem) {
    switch (pf.GetScalarType()) {
    case gdcm::PixelFormat::UINT8: return MDCM_UINT8;
    case gdcm::PixelFormat::INT8: return MDCM_INT8;
    case gdcm::PixelFormat::UINT12:
    case gdcm::PixelFormat::UINT16: return MDCM_UINT16;
    case gdcm::PixelFormat::INT12:
    case gdcm::PixelFormat::INT16: return MDCM_INT16;
    case gdcm::PixelFormat::UINT32: return MDCM_UINT32;
    case gdcm::PixelFormat::INT32: return MDCM_INT32;
    case gdcm::PixelFormat::FLOAT32: return MDCM_FLOAT32;
    case gdcm::PixelFormat::FLOAT64: return MDCM_FLOAT64;
    default:
        problem = std::string("pixel format ") + pf.GetScalarTypeAsString() + " is not supported";
        return 0;
    }
}

int read_file(const char *path, int with_pixels, uint64_t max_pixel_bytes, mdcm_image *out,
              char *error, size_t error_size) {
    std::call_once(configured, configure);
    std::lock_guard<std::mutex> lock(gdcm_mutex);
    diagnostics.str("");
    diagnostics.clear();
    gdcm::ImageReader reader;
    reader.SetFileName(path);
    bool read = reader.Read();
    if (diagnostics.str().find("Incomplete Pixel Data") != std::string::npos) {
        set_error(error, error_size, "truncated: the Pixel Data element ends before its stated length");
        return MDCM_ERROR_READ;
    }
    if (!read) {
        // Tell "not an image" from "not DICOM": the plain reader may still parse it.
        gdcm::Reader plain;
        plain.SetFileName(path);
        if (plain.Read()) {
            set_error(error, error_size, "DICOM file without an image (no Pixel Data, or an IOD GDCM cannot read as an image)");
            return MDCM_ERROR_UNSUPPORTED;
        }
        set_error(error, error_size, "not a readable DICOM file (truncated, malformed, or not DICOM)");
        return MDCM_ERROR_READ;
    }
    const gdcm::Image &image = reader.GetImage();
    const gdcm::PixelFormat &pf = image.GetPixelFormat();
    std::string problem;
    out->sample_type = sample_type(pf, problem);
    if (out->sample_type == 0) {
        set_error(error, error_size, problem);
        return MDCM_ERROR_UNSUPPORTED;
    }
    out->samples_per_pixel = pf.GetSamplesPerPixel();
    out->bits_allocated = pf.GetBitsAllocated();
    out->bits_stored = pf.GetBitsStored();
    unsigned int dimensions = image.GetNumberOfDimensions();
    out->columns = image.GetDimension(0);
    out->rows = image.GetDimension(1);
    out->frames = dimensions >= 3 ? image.GetDimension(2) : 1;
    if (out->columns == 0 || out->rows == 0 || out->frames == 0) {
        set_error(error, error_size, "image has a zero dimension (Rows, Columns or Number of Frames)");
        return MDCM_ERROR_READ;
    }
    out->slope = image.GetSlope();
    out->intercept = image.GetIntercept();
    for (int i = 0; i < 3; i++) {
        out->spacing[i] = image.GetSpacing(i);
        out->origin[i] = image.GetOrigin(i);
    }
    for (int i = 0; i < 6; i++) out->direction[i] = image.GetDirectionCosines(i);
    copy_string(out->photometric, sizeof out->photometric, image.GetPhotometricInterpretation().GetString()
                ? image.GetPhotometricInterpretation().GetString() : "");
    copy_string(out->transfer_syntax, sizeof out->transfer_syntax,
                image.GetTransferSyntax().GetString() ? image.GetTransferSyntax().GetString() : "");

    const gdcm::File &file = reader.GetFile();
    const gdcm::DataSet &dataset = file.GetDataSet();
    gdcm::StringFilter strings;
    strings.SetFile(file);
    auto text = [&](uint16_t group, uint16_t element) -> std::string {
        gdcm::Tag tag(group, element);
        return dataset.FindDataElement(tag) ? strings.ToString(tag) : std::string();
    };
    copy_string(out->modality, sizeof out->modality, text(0x0008, 0x0060));
    copy_string(out->series_uid, sizeof out->series_uid, text(0x0020, 0x000E));
    copy_string(out->sop_instance_uid, sizeof out->sop_instance_uid, text(0x0008, 0x0018));
    std::string instance = text(0x0020, 0x0013);
    out->instance_number = instance.empty() ? 0 : std::atoi(instance.c_str());
    // Enhanced multi-frame objects keep the position per frame in functional groups.
    out->has_position = (dataset.FindDataElement(gdcm::Tag(0x0020, 0x0032))
                         && dataset.FindDataElement(gdcm::Tag(0x0020, 0x0037)))
                        || dataset.FindDataElement(gdcm::Tag(0x5200, 0x9230));

    // Enhanced multi-frame: the last frame's Plane Position, so the slice
    // step keeps its sign (frames may run against the normal).
    if (out->frames > 1 && dataset.FindDataElement(gdcm::Tag(0x5200, 0x9230))) {
        gdcm::SmartPointer<gdcm::SequenceOfItems> frames = dataset.GetDataElement(gdcm::Tag(0x5200, 0x9230)).GetValueAsSQ();
        if (frames && frames->GetNumberOfItems() == out->frames) {
            const gdcm::DataSet &last = frames->GetItem(frames->GetNumberOfItems()).GetNestedDataSet();
            gdcm::Tag plane(0x0020, 0x9113);
            if (last.FindDataElement(plane)) {
                gdcm::SmartPointer<gdcm::SequenceOfItems> position = last.GetDataElement(plane).GetValueAsSQ();
                if (position && position->GetNumberOfItems() >= 1) {
                    const gdcm::DataSet &item = position->GetItem(1).GetNestedDataSet();
                    gdcm::Tag ipp(0x0020, 0x0032);
                    if (item.FindDataElement(ipp)) {
                        std::string value = strings.ToString(item.GetDataElement(ipp));
                        double x, y, z;
                        if (std::sscanf(value.c_str(), "%lf\\%lf\\%lf", &x, &y, &z) == 3) {
                            out->last_origin[0] = x;
                            out->last_origin[1] = y;
                            out->last_origin[2] = z;
                            out->has_last_origin = 1;
                        }
                    }
                }
            }
        }
    }

    // Every multiplication checked: the header's sizes are hostile input.
    uint64_t samples = uint64_t(out->columns) * out->rows;
    if (samples > UINT64_MAX / out->frames) {
        set_error(error, error_size, "image size overflows");
        return MDCM_ERROR_TOO_LARGE;
    }
    samples *= out->frames;
    if (samples > UINT64_MAX / (out->samples_per_pixel ? out->samples_per_pixel : 1)) {
        set_error(error, error_size, "image size overflows");
        return MDCM_ERROR_TOO_LARGE;
    }
    uint64_t bytes = image.GetBufferLength();
    if (bytes > max_pixel_bytes) {
        set_error(error, error_size, "decoded pixel data of " + std::to_string(bytes) + " bytes exceeds the cap of "
                  + std::to_string(max_pixel_bytes) + " bytes");
        return MDCM_ERROR_TOO_LARGE;
    }
    if (!with_pixels) return MDCM_OK;
    uint64_t bytes_per_sample = (out->sample_type == MDCM_UINT8 || out->sample_type == MDCM_INT8) ? 1
        : (out->sample_type == MDCM_UINT16 || out->sample_type == MDCM_INT16) ? 2
        : (out->sample_type == MDCM_FLOAT64) ? 8 : 4;
    uint64_t expected = samples * out->samples_per_pixel * bytes_per_sample;
    if (bytes != expected) {
        set_error(error, error_size, "decoded pixel data would be " + std::to_string(bytes) + " bytes, the header says "
                  + std::to_string(expected));
        return MDCM_ERROR_DECODE;
    }
    void *buffer = std::malloc(bytes ? bytes : 1);
    if (buffer == nullptr) {
        set_error(error, error_size, "out of memory for " + std::to_string(bytes) + " bytes of pixels");
        return MDCM_ERROR_MEMORY;
    }
    if (!image.GetBuffer(static_cast<char *>(buffer))) {
        std::free(buffer);
        set_error(error, error_size, std::string("pixel data could not be decoded (transfer syntax ")
                  + out->transfer_syntax + ")");
        return MDCM_ERROR_DECODE;
    }
    // Pixel Representation 1 with fewer bits stored than allocated: the
    // samples are sign-extended from Bits Stored. A codestream (JPEG 2000
    // especially) may call its samples unsigned against the data set, and
    // GDCM then hands them over with the sign bit not extended; DICOM's
    // attribute wins, as in pydicom. Extending an already extended value
    // changes nothing.
    std::string representation = text(0x0028, 0x0103);
    if (!representation.empty() && std::atoi(representation.c_str()) == 1 && out->bits_stored >= 2) {
        uint64_t count = samples * out->samples_per_pixel;
        switch (out->sample_type) {
        case MDCM_UINT8: case MDCM_INT8:
            out->sample_type = MDCM_INT8;
            sign_extend<uint8_t, int8_t>(buffer, count, out->bits_stored);
            break;
        case MDCM_UINT16: case MDCM_INT16:
            out->sample_type = MDCM_INT16;
            sign_extend<uint16_t, int16_t>(buffer, count, out->bits_stored);
            break;
        case MDCM_UINT32: case MDCM_INT32:
            out->sample_type = MDCM_INT32;
            sign_extend<uint32_t, int32_t>(buffer, count, out->bits_stored);
            break;
        default: break;
        }
    }
    out->pixels = buffer;
    out->pixel_bytes = bytes;
    return MDCM_OK;
}

// read_file with every C++ exception turned into a status; on failure
// nothing is left to free.
int read_guarded(const char *path, int with_pixels, uint64_t max_pixel_bytes, mdcm_image *out,
                 char *error, size_t error_size) {
    int status;
    std::string message;
    try {
        status = read_file(path, with_pixels, max_pixel_bytes, out, error, error_size);
        if (status != MDCM_OK) mdcm_image_free(out);
        return status;
    } catch (const std::bad_alloc &) {
        status = MDCM_ERROR_MEMORY;
        message = "out of memory while reading";
    } catch (const std::exception &e) {
        status = MDCM_ERROR_READ;
        message = std::string("malformed DICOM: ") + e.what();
    } catch (...) {
        status = MDCM_ERROR_READ;
        message = "malformed DICOM";
    }
    mdcm_image_free(out);
    set_error(error, error_size, message);
    return status;
}

}  // namespace

extern "C" int mdcm_read(const char *path, int with_pixels, uint64_t max_pixel_bytes, mdcm_image *out,
                         char *error, size_t error_size) {
    if (path == nullptr || out == nullptr) {
        set_error(error, error_size, "path and out must not be NULL");
        return MDCM_ERROR_READ;
    }
    std::memset(out, 0, sizeof *out);
    // The payload: the mdcm_image (pixels pointer cleared), then the pixels.
    mdcm::Answer answer = mdcm::run_isolated([&] {
        mdcm::Answer a;
        mdcm_image image;
        std::memset(&image, 0, sizeof image);
        char message[512] = "";
        a.status = read_guarded(path, with_pixels, max_pixel_bytes, &image, message, sizeof message);
        a.error = message;
        void *pixels = image.pixels;
        image.pixels = nullptr;
        try {
            a.payload.assign(reinterpret_cast<const char *>(&image), sizeof image);
            if (pixels != nullptr) a.payload.append(static_cast<const char *>(pixels), image.pixel_bytes);
        } catch (...) {
            a.status = MDCM_ERROR_MEMORY;
            a.error = "out of memory for the decoded pixels";
            a.payload.clear();
        }
        std::free(pixels);
        return a;
    });
    if (answer.status != MDCM_OK) {
        set_error(error, error_size, answer.error);
        return answer.status;
    }
    mdcm_image image;
    if (answer.payload.size() < sizeof image) {
        set_error(error, error_size, "the decoder process sent an incomplete answer");
        return MDCM_ERROR_READ;
    }
    std::memcpy(&image, answer.payload.data(), sizeof image);
    if (answer.payload.size() - sizeof image != image.pixel_bytes) {
        set_error(error, error_size, "the decoder process sent pixels of the wrong size");
        return MDCM_ERROR_READ;
    }
    if (image.pixel_bytes > 0) {
        image.pixels = std::malloc(image.pixel_bytes);
        if (image.pixels == nullptr) {
            set_error(error, error_size, "out of memory for " + std::to_string(image.pixel_bytes) + " bytes of pixels");
            return MDCM_ERROR_MEMORY;
        }
        std::memcpy(image.pixels, answer.payload.data() + sizeof image, image.pixel_bytes);
    }
    *out = image;
    return MDCM_OK;
}

extern "C" void mdcm_image_free(mdcm_image *image) {
    if (image == nullptr) return;
    std::free(image->pixels);
    image->pixels = nullptr;
    image->pixel_bytes = 0;
}
