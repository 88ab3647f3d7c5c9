// lab/report_json.hpp - one finding as the JSON object of wdmlab/report.hpp's reports, and back.
// For code that embeds findings in JSON of its own (the command line's exploration files).
#pragma once

#include <nlohmann/json.hpp>

#include "wdmlab/finding.hpp"

namespace wdmlab::lab {

// Keys stay in the order written, so the files read top-down like the text report.
using json = nlohmann::ordered_json;

// The finding as an element of to_json's "findings" array.
json finding_json(const Finding& finding);
// The inverse of finding_json; throws UsageError naming what is malformed (nlohmann's exceptions
// for a missing key or a wrong type pass through).
Finding finding_from_json(const json& in);

}  // namespace wdmlab::lab
