// GDCM's parse of a whole data set as a record stream (medaug_dicom.h,
// mdcm_read_dataset): the annotation readers in Swift (DICOM SEG, RT
// Structure Sets) interpret the elements; GDCM only frames them.
#include "medaug_dicom.h"

#include "decoder_process.h"

#include <gdcm-3.0/gdcmDataSet.h>
#include <gdcm-3.0/gdcmDicts.h>
#include <gdcm-3.0/gdcmGlobal.h>
#include <gdcm-3.0/gdcmReader.h>
#include <gdcm-3.0/gdcmSequenceOfFragments.h>
#include <gdcm-3.0/gdcmSequenceOfItems.h>
#include <gdcm-3.0/gdcmTrace.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace {

struct TooLarge : std::runtime_error {
    TooLarge() : std::runtime_error("too large") {}
};

class Writer {
public:
    explicit Writer(uint64_t limit) : limit_(limit) {}
    std::string bytes;

    void put(const void *data, size_t size) {
        if (bytes.size() + size > limit_) throw TooLarge();
        bytes.append(static_cast<const char *>(data), size);
    }
    void put_u32(uint32_t value) {
        unsigned char b[4] = {uint8_t(value), uint8_t(value >> 8), uint8_t(value >> 16), uint8_t(value >> 24)};
        put(b, 4);
    }
    void put_char(char c) { put(&c, 1); }

private:
    uint64_t limit_;
};

// The element's VR: as stored (explicit VR), else GDCM's dictionary's.
gdcm::VR vr_of(const gdcm::DataElement &element) {
    gdcm::VR vr = element.GetVR();
    if (vr != gdcm::VR::INVALID && vr != gdcm::VR::UN) return vr;
    const gdcm::Dicts &dicts = gdcm::Global::GetInstance().GetDicts();
    return dicts.GetDictEntry(element.GetTag()).GetVR();
}

void write_dataset(Writer &out, const gdcm::DataSet &dataset, int depth);

void write_element(Writer &out, const gdcm::DataElement &element, int depth) {
    const gdcm::Tag &tag = element.GetTag();
    uint32_t code = uint32_t(tag.GetGroup()) << 16 | tag.GetElement();
    gdcm::VR vr = vr_of(element);
    if (vr == gdcm::VR::SQ) {
        if (depth >= 32) throw std::runtime_error("sequences nested deeper than 32 levels");
        gdcm::SmartPointer<gdcm::SequenceOfItems> items = element.GetValueAsSQ();
        out.put_char('S');
        out.put_u32(code);
        if (items) {
            for (size_t i = 1; i <= items->GetNumberOfItems(); i++) {
                out.put_char('I');
                write_dataset(out, items->GetItem(i).GetNestedDataSet(), depth + 1);
                out.put_char('i');
            }
        }
        out.put_char('s');
        return;
    }
    const char *name = gdcm::VR::GetVRString(vr);
    char vr_chars[2] = {'U', 'N'};
    if (name != nullptr && std::strlen(name) >= 2 && vr != gdcm::VR::INVALID) vr_chars[0] = name[0], vr_chars[1] = name[1];
    out.put_char('E');
    out.put_u32(code);
    out.put(vr_chars, 2);
    if (element.GetSequenceOfFragments() != nullptr) {
        out.put_u32(0xFFFFFFFFu);
        return;
    }
    const gdcm::ByteValue *value = element.GetByteValue();
    uint32_t length = value ? uint32_t(value->GetLength()) : 0;
    out.put_u32(length);
    if (length > 0) out.put(value->GetPointer(), length);
}

void write_dataset(Writer &out, const gdcm::DataSet &dataset, int depth) {
    for (gdcm::DataSet::ConstIterator it = dataset.Begin(); it != dataset.End(); ++it) write_element(out, *it, depth);
}

mdcm::Answer read_records(const char *path, uint64_t max_bytes) {
    mdcm::Answer answer;
    try {
        gdcm::Trace::SetDebug(false);
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
        gdcm::Reader reader;
        reader.SetFileName(path);
        if (!reader.Read()) {
            answer.status = MDCM_ERROR_READ;
            answer.error = "not a readable DICOM file (truncated, malformed, or not DICOM)";
            return answer;
        }
        Writer out(max_bytes);
        write_dataset(out, reader.GetFile().GetHeader(), 0);
        write_dataset(out, reader.GetFile().GetDataSet(), 0);
        answer.payload.swap(out.bytes);
        answer.status = MDCM_OK;
    } catch (const TooLarge &) {
        answer.status = MDCM_ERROR_TOO_LARGE;
        answer.error = "the data set exceeds the cap of " + std::to_string(max_bytes) + " bytes";
    } catch (const std::bad_alloc &) {
        answer.status = MDCM_ERROR_MEMORY;
        answer.error = "out of memory while reading";
    } catch (const std::exception &e) {
        answer.status = MDCM_ERROR_READ;
        answer.error = std::string("malformed DICOM: ") + e.what();
    } catch (...) {
        answer.status = MDCM_ERROR_READ;
        answer.error = "malformed DICOM";
    }
    if (answer.status != MDCM_OK) answer.payload.clear();
    return answer;
}

}  // namespace

extern "C" int mdcm_read_dataset(const char *path, uint64_t max_bytes, unsigned char **stream, size_t *size,
                                 char *error, size_t error_size) {
    if (path == nullptr || stream == nullptr || size == nullptr) {
        mdcm::set_error(error, error_size, "path, stream and size must not be NULL");
        return MDCM_ERROR_READ;
    }
    *stream = nullptr;
    *size = 0;
    mdcm::Answer answer = mdcm::run_isolated([&] { return read_records(path, max_bytes); });
    if (answer.status != MDCM_OK) {
        mdcm::set_error(error, error_size, answer.error);
        return answer.status;
    }
    unsigned char *copy = static_cast<unsigned char *>(std::malloc(answer.payload.size() ? answer.payload.size() : 1));
    if (copy == nullptr) {
        mdcm::set_error(error, error_size, "out of memory for the data set");
        return MDCM_ERROR_MEMORY;
    }
    std::memcpy(copy, answer.payload.data(), answer.payload.size());
    *stream = copy;
    *size = answer.payload.size();
    return MDCM_OK;
}

extern "C" void mdcm_dataset_free(unsigned char *stream) { std::free(stream); }
