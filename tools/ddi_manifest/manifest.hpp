// The DDI manifest: every routine the lab exports to drivers, its status and its IRQL contract,
// kept as data in src/ddi.yaml. docs/ddi.md is generated from it, and a test checks it against
// what the libraries really export.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace wdmlab::manifest {

enum class Status { Implemented, Partial };

struct Routine {
  std::string name;
  std::string subsystem;  // ke, ex, rtl, ob, ps, io, ...
  Status status = Status::Implemented;
  // IRQL contract as the WDK documents it: "<= DISPATCH_LEVEL", "== PASSIVE_LEVEL", "any".
  std::string irql;
  std::string note;  // what is partial, or how the lab differs
};

// Reads the manifest; throws std::runtime_error with the file and entry on malformed input.
std::vector<Routine> load(const std::string& path);

// The generated documentation page.
std::string render_markdown(const std::vector<Routine>& routines);

}  // namespace wdmlab::manifest
