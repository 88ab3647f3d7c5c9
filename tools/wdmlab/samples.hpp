// The sample drivers built into the command line (samples/).
#pragma once

#include <wdm.h>

#include <span>
#include <string_view>

namespace wdmlab::cli {

struct Sample {
  std::string_view name;
  PDRIVER_INITIALIZE entry;
  std::string_view description;
};

std::span<const Sample> samples();
const Sample* find_sample(std::string_view name);

}  // namespace wdmlab::cli
