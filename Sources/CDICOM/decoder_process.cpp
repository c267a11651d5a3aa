// The forked decoder process of decoder_process.h.
#include "decoder_process.h"

#include "medaug_dicom.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mdcm {

void set_error(char *error, size_t size, const std::string &message) {
    if (error == nullptr || size == 0) return;
    std::snprintf(error, size, "%s", message.c_str());
}

namespace {

bool write_all(int fd, const void *data, size_t size) {
    const char *p = static_cast<const char *>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= size_t(n);
    }
    return true;
}

// Reads exactly `size` bytes; false on EOF, error or `timeout_ms` without progress.
bool read_all(int fd, void *data, size_t size, int timeout_ms) {
    char *p = static_cast<char *>(data);
    while (size > 0) {
        pollfd pfd = {fd, POLLIN, 0};
        int ready = ::poll(&pfd, 1, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return false;
        ssize_t n = ::read(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= size_t(n);
    }
    return true;
}

// The child's answer on the pipe: this header, the error text, the payload, kEnd.
struct Header {
    int32_t status;
    uint64_t error_bytes, payload_bytes;
};
const uint64_t kEnd = 0x6d64636d5f656e64ULL;
// A child that sends nothing for this long is stuck in a decoder.
const int kTimeoutMs = 120000;

[[noreturn]] void run_child(int fd, const std::function<Answer()> &work) {
    // The host's signal handlers (crash reporters, Python's faulthandler)
    // are inherited; a GDCM abort in here must just end this process.
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        if (signal_number != SIGKILL && signal_number != SIGSTOP) ::signal(signal_number, SIG_DFL);
    }
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDERR_FILENO);
    Answer answer = work();
    Header header = {answer.status, answer.error.size(), answer.payload.size()};
    bool ok = write_all(fd, &header, sizeof header) && write_all(fd, answer.error.data(), answer.error.size())
        && write_all(fd, answer.payload.data(), answer.payload.size()) && write_all(fd, &kEnd, sizeof kEnd);
    ::_exit(ok ? 0 : 1);
}

// Reads `bytes` bytes into `into`, refusing sizes beyond what a DICOM file can hold.
bool read_string(int fd, uint64_t bytes, std::string &into) {
    if (bytes > (uint64_t(1) << 34)) return false;
    try {
        into.resize(size_t(bytes));
    } catch (...) {
        return false;
    }
    return read_all(fd, into.data(), into.size(), kTimeoutMs);
}

}  // namespace

Answer run_isolated(const std::function<Answer()> &work) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return work();
    pid_t child = ::fork();
    if (child < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return work();
    }
    if (child == 0) {
        ::close(fds[0]);
        run_child(fds[1], work);
    }
    ::close(fds[1]);
    Answer answer;
    Header header;
    uint64_t end = 0;
    bool complete = read_all(fds[0], &header, sizeof header, kTimeoutMs)
        && read_string(fds[0], header.error_bytes, answer.error)
        && read_string(fds[0], header.payload_bytes, answer.payload)
        && read_all(fds[0], &end, sizeof end, kTimeoutMs) && end == kEnd;
    ::close(fds[0]);
    if (!complete) ::kill(child, SIGKILL);
    int wait_status = 0;
    pid_t waited;
    do { waited = ::waitpid(child, &wait_status, 0); } while (waited < 0 && errno == EINTR);
    if (!complete) {
        std::string how = (waited == child && WIFSIGNALED(wait_status))
            ? "signal " + std::to_string(WTERMSIG(wait_status)) : std::string("no complete answer");
        Answer failed;
        failed.status = MDCM_ERROR_READ;
        failed.error = "GDCM failed inside its decoder process (" + how
            + "): the file is malformed or uses a feature GDCM cannot read";
        return failed;
    }
    answer.status = header.status;
    return answer;
}

}  // namespace mdcm
