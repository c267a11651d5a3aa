// Running GDCM in a forked child process (private to CDICOM; see
// dicom_reader.cpp for why). The work runs in the child; its status, error
// message and payload bytes come back over a pipe, and a child that dies,
// hangs or sends an incomplete answer is an error for that one call.
//
// Constraint for hosts with threads: fork() copies only the calling thread.
// The child runs GDCM alone, touches no lock another thread might have held
// (GDCM's diagnostics stream is set up before it forks) and ends with
// _exit(), so it is safe in a multi-threaded host; it costs a copy of the
// page tables per call.
#ifndef MDCM_DECODER_PROCESS_H
#define MDCM_DECODER_PROCESS_H

#include <functional>
#include <string>

namespace mdcm {

// What the work returns: a status (MDCM_OK or an error), a message for
// errors, and the bytes to hand back.
struct Answer {
    int status = 0;
    std::string error;
    std::string payload;
};

// Runs `work` in a child process and returns its answer; if fork() or pipe()
// fails (no memory for the page tables), runs it in-process instead. `work`
// must turn its own C++ exceptions into a status.
Answer run_isolated(const std::function<Answer()> &work);

void set_error(char *error, size_t size, const std::string &message);

}  // namespace mdcm

#endif
