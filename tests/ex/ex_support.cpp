#include "ex_support.hpp"

namespace wdmlab::ex_test {

namespace {

std::function<void()>* g_entry_body = nullptr;

NTSTATUS NTAPI TestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  (void)DriverObject;
  (void)RegistryPath;
  (*g_entry_body)();
  return STATUS_SUCCESS;
}

}  // namespace

void run_as_driver(Lab& lab, const std::string& name, std::function<void()> body) {
  g_entry_body = &body;
  try {
    lab.load_driver(&TestDriverEntry, name);
  } catch (const UsageError&) {
    // The lab stopped on a finding before DriverEntry returned; the test looks at the finding.
    EXPECT_TRUE(lab.stopped());
  }
  g_entry_body = nullptr;
}

const Finding& fatal(Lab& lab) {
  const Finding* finding = lab.fatal_finding();
  if (finding == nullptr) {
    ADD_FAILURE() << "the lab did not stop on a finding";
    static const Finding none;
    return none;
  }
  return *finding;
}

Finding stopping_finding(const LabOptions& options, const std::function<void()>& body) {
  Lab lab(options);
  lab.spawn("test", body);
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  return fatal(lab);
}

}  // namespace wdmlab::ex_test
