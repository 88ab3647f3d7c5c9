// base/log_sink.hpp - where debug output of the lab running on this OS thread goes.
#pragma once

#include "wdmlab/log.hpp"

namespace wdmlab::base {

// The log of the lab on this OS thread, or null when no lab exists.
Log* current_log();
void set_current_log(Log* log);

}  // namespace wdmlab::base
