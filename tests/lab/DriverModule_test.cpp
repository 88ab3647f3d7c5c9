// Driver images: shared objects built by wdmlab_add_driver, loaded with Lab::load_driver(path)
// and `wdmlab load`.
#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/command_line.hpp"
#include "support/lab_test.hpp"
#include "wdmlab/lab.hpp"

namespace wdmlab {
namespace {

using ::testing::HasSubstr;

std::string message_of_load(Lab& lab, const std::filesystem::path& image) {
  try {
    lab.load_driver(image);
  } catch (const DriverLoadError& error) {
    return error.what();
  }
  ADD_FAILURE() << "loading " << image << " did not throw DriverLoadError";
  return {};
}

// The image's own handle, held while the object lives; null if the process has not mapped it.
class ImageHandle {
 public:
  explicit ImageHandle(const char* path) : handle_(::dlopen(path, RTLD_NOW | RTLD_NOLOAD)) {}
  ~ImageHandle() {
    if (handle_ != nullptr) ::dlclose(handle_);
  }
  ImageHandle(const ImageHandle&) = delete;
  ImageHandle& operator=(const ImageHandle&) = delete;
  void* handle() const { return handle_; }
  void* symbol(const char* name) const { return ::dlsym(handle_, name); }

 private:
  void* handle_;
};

template <class Pointer>
std::uintptr_t address(Pointer pointer) {
  return reinterpret_cast<std::uintptr_t>(pointer);
}

TEST(DriverModule, LoadsAnImageRunsDriverEntryAndUnloads) {
  Lab lab({.processors = 2, .seed = 1});
  LoadedDriver& driver = lab.load_driver(MODULE_HELLO_IMAGE);
  ASSERT_TRUE(driver.loaded());
  EXPECT_EQ(driver.name, "module_hello");
  EXPECT_EQ(driver.image, std::filesystem::path(MODULE_HELLO_IMAGE));
  EXPECT_EQ(driver.entry_status, STATUS_SUCCESS);
  EXPECT_TRUE(
      lab.log().contains("module_hello: DriverEntry for \\Driver\\module_hello at IRQL 0, registry "
                         "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\module_hello"));
  EXPECT_EQ(lab.log().records().front().driver, "module_hello");
  EXPECT_FALSE(lab.log().contains("unloading"));

  lab.unload_driver(driver);
  EXPECT_FALSE(driver.loaded());
  EXPECT_TRUE(lab.log().contains("module_hello: unloading \\Driver\\module_hello"));
  EXPECT_TRUE(lab.findings().empty());
}

TEST(DriverModule, DriverStartAndDriverSizeAreTheMappedImage) {
  Lab lab;
  LoadedDriver& driver = lab.load_driver(MODULE_HELLO_IMAGE);
  ASSERT_TRUE(driver.loaded());
  ImageHandle image(MODULE_HELLO_IMAGE);
  ASSERT_NE(image.handle(), nullptr);
  void* entry = image.symbol("DriverEntry");
  ASSERT_NE(entry, nullptr);
  Dl_info info{};
  ASSERT_NE(::dladdr(entry, &info), 0);

  EXPECT_EQ(driver.object->DriverStart, info.dli_fbase);  // the ELF header, as the PE header on Windows
  EXPECT_EQ(address(driver.object->DriverInit), address(entry));
  EXPECT_GE(driver.object->DriverSize, 4096u);
  EXPECT_EQ(driver.object->DriverSize % 4096, 0u);
  EXPECT_LT(address(entry), address(driver.object->DriverStart) + driver.object->DriverSize);
  EXPECT_LT(address(driver.object->DriverUnload) - address(driver.object->DriverStart), driver.object->DriverSize);
}

TEST(DriverModule, TheNameCanBeGivenAndARelativePathIsAFile) {
  const std::filesystem::path image(MODULE_HELLO_IMAGE);
  const std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(image.parent_path());
  Lab lab;
  LoadedDriver& driver = lab.load_driver(image.filename(), "hello2");  // "module_hello.so", no directory
  std::filesystem::current_path(previous);
  ASSERT_TRUE(driver.loaded());
  EXPECT_EQ(driver.name, "hello2");
  EXPECT_TRUE(lab.log().contains("module_hello: DriverEntry for \\Driver\\hello2"));
}

TEST(DriverModule, TheLabUnmapsItsImagesWhenDestroyed) {
  {
    Lab lab;
    lab.unload_driver(lab.load_driver(MODULE_HELLO_IMAGE));
    EXPECT_NE(ImageHandle(MODULE_HELLO_IMAGE).handle(), nullptr);  // kept after unload
  }
  EXPECT_EQ(ImageHandle(MODULE_HELLO_IMAGE).handle(), nullptr);
}

TEST(DriverModule, TwoImagesWithTheSameInternalNamesStayIndependent) {
  Lab lab({.processors = 2, .seed = 3});
  LoadedDriver& a = lab.load_driver(TWIN_A_IMAGE);
  LoadedDriver& b = lab.load_driver(TWIN_B_IMAGE);
  ASSERT_TRUE(a.loaded());
  ASSERT_TRUE(b.loaded());
  // Each DriverEntry counted its own load: a shared TwinLoads would make the second one 2.
  EXPECT_TRUE(lab.log().contains("twin \\Driver\\twin_a: entry, loads 1"));
  EXPECT_TRUE(lab.log().contains("twin \\Driver\\twin_b: entry, loads 1"));
  EXPECT_NE(a.object->DriverStart, b.object->DriverStart);
  EXPECT_NE(a.object->DriverUnload, b.object->DriverUnload);

  lab.unload_driver(b);
  lab.unload_driver(a);
  EXPECT_TRUE(lab.log().contains("twin \\Driver\\twin_a: unload, loads 1"));
  EXPECT_TRUE(lab.log().contains("twin \\Driver\\twin_b: unload, loads 1"));
  EXPECT_TRUE(lab.findings().empty());

  // DriverEntry is the only symbol an image exports.
  ImageHandle image(TWIN_A_IMAGE);
  ASSERT_NE(image.handle(), nullptr);
  EXPECT_NE(image.symbol("DriverEntry"), nullptr);
  EXPECT_EQ(image.symbol("TwinLoads"), nullptr);
  EXPECT_EQ(image.symbol("TwinLog"), nullptr);
}

TEST(DriverModule, ADriverEntryFailureLeavesTheDriverUnloaded) {
  Lab lab;
  LoadedDriver& driver = lab.load_driver(ENTRY_FAILS_IMAGE);
  EXPECT_EQ(driver.entry_status, STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_FALSE(driver.loaded());
  EXPECT_TRUE(lab.log().contains("entry_fails: out of memory"));
  EXPECT_TRUE(lab.log().contains(
      "DriverEntry of 'entry_fails' failed with 0xC000009A STATUS_INSUFFICIENT_RESOURCES; the driver is not loaded"));
  EXPECT_EQ(lab.log().records().back().driver, "entry_fails");
  EXPECT_THROW(lab.unload_driver(driver), UsageError);
  lab.run_until_idle();
  EXPECT_FALSE(lab.log().contains("DriverUnload ran"));
  EXPECT_TRUE(lab.findings().empty());
}

// An image Lab::load_driver must refuse, and what the DriverLoadError says besides its path.
struct UnloadableImage {
  std::string name;
  std::string path;
  std::string reason;
};

class DriverModuleLoadError : public ::testing::TestWithParam<UnloadableImage> {};

TEST_P(DriverModuleLoadError, NamesTheImageAndTheReason) {
  const UnloadableImage& row = GetParam();
  Lab lab;
  const std::string message = message_of_load(lab, row.path);
  EXPECT_THAT(message, HasSubstr("'" + row.path + "'"));
  EXPECT_THAT(message, HasSubstr(row.reason));
}

INSTANTIATE_TEST_SUITE_P(
    DriverModule, DriverModuleLoadError,
    ::testing::Values(UnloadableImage{"MissingFile", "/nonexistent/missing.so", "No such file or directory"},
                      UnloadableImage{"NotAnElfFile", DRIVER_SOURCE_DIR "/module_hello.c", "invalid ELF header"},
                      UnloadableImage{"NoDriverEntry", NO_DRIVER_ENTRY_IMAGE, "exports no DriverEntry"},
                      UnloadableImage{"NoDriverEntryLoaderReason", NO_DRIVER_ENTRY_IMAGE,
                                      "undefined symbol: DriverEntry"},
                      UnloadableImage{"UnresolvedImport", UNRESOLVED_IMPORT_IMAGE,
                                      "undefined symbol: WdmlabRoutineNobodyImplements"}),
    test::RowName());

TEST(DriverModule, LoadingTheSameImageTwiceIsALoadErrorNamingTheDriver) {
  Lab lab;
  LoadedDriver& first = lab.load_driver(MODULE_HELLO_IMAGE, "hello_first");
  ASSERT_TRUE(first.loaded());
  const std::string message = message_of_load(lab, MODULE_HELLO_IMAGE);
  EXPECT_THAT(message, HasSubstr("already loaded in this lab as the driver 'hello_first'"));
  // The first driver is unaffected and unloads normally.
  lab.unload_driver(first);
  EXPECT_TRUE(lab.log().contains("module_hello: unloading \\Driver\\hello_first"));
}

TEST(DriverModule, AnotherLabsImageIsALoadError) {
  Lab first;
  ASSERT_TRUE(first.load_driver(MODULE_HELLO_IMAGE).loaded());
  std::string message;
  std::thread([&] {
    Lab second;
    message = message_of_load(second, MODULE_HELLO_IMAGE);
  }).join();
  EXPECT_THAT(message, HasSubstr("loaded by another lab in this process"));
}

// The culprit of a crash in entry_null_deref's DriverEntry: ReadDepth, on its faulting line.
void expect_read_depth_culprit(const Finding& finding) {
  EXPECT_EQ(finding.code, 0x7Eu);                 // SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
  EXPECT_EQ(finding.parameters[0], 0xC0000005u);  // STATUS_ACCESS_VIOLATION
  EXPECT_EQ(finding.driver, "entry_null_deref");
  const StackFrame* culprit = finding.culprit_frame();
  ASSERT_NE(culprit, nullptr);
  EXPECT_EQ(culprit->module, "entry_null_deref");
  EXPECT_EQ(culprit->function, "ReadDepth");
  EXPECT_EQ(culprit->file, std::string(DRIVER_SOURCE_DIR) + "/entry_null_deref.c");
  EXPECT_EQ(culprit->line, 17);
  bool through_driver_entry = false;
  for (const StackFrame& frame : finding.context.stack) through_driver_entry |= frame.function == "DriverEntry";
  EXPECT_TRUE(through_driver_entry);
}

TEST(DriverModule, ACrashInDriverEntryIsABugCheckWithTheDriversStack) {
  {
    Lab lab;
    EXPECT_THROW(lab.load_driver(ENTRY_NULL_DEREF_IMAGE), UsageError);
    EXPECT_TRUE(lab.stopped());
    const Finding* finding = lab.fatal_finding();
    ASSERT_NE(finding, nullptr);
    expect_read_depth_culprit(*finding);
  }
  // The first lab unmapped the image; the next one maps it again and its stacks still resolve.
  Lab next;
  EXPECT_THROW(next.load_driver(ENTRY_NULL_DEREF_IMAGE), UsageError);
  const Finding* finding = next.fatal_finding();
  ASSERT_NE(finding, nullptr);
  expect_read_depth_culprit(*finding);
}

TEST(DriverModule, StacksResolveInAnImageMappedAfterEarlierStacksWereSymbolized) {
  {
    Lab lab;
    lab.spawn("crash", [] { KeBugCheckEx(MANUALLY_INITIATED_CRASH, 0, 0, 0, 0); });
    lab.run_until_idle();
    ASSERT_FALSE(lab.findings().empty());  // symbolized with the images mapped until now
  }
  Lab lab;
  EXPECT_THROW(lab.load_driver(ENTRY_NULL_DEREF_IMAGE), UsageError);
  const Finding* finding = lab.fatal_finding();
  ASSERT_NE(finding, nullptr);
  expect_read_depth_culprit(*finding);
}

// Runs the wdmlab command line; returns its exit status and its standard output and error.
std::pair<int, std::string> run_cli(const std::string& arguments) { return test::run_program(WDMLAB_CLI, arguments); }

// `wdmlab <arguments>`: its exit status, text its output must contain, and text it must not.
struct CommandLineRun {
  std::string name;
  std::string arguments;
  int status;
  std::vector<std::string> present;
  std::string absent;
};

class DriverModuleCommandLine : public ::testing::TestWithParam<CommandLineRun> {};

TEST_P(DriverModuleCommandLine, ExitsAndReportsAsDocumented) {
  const CommandLineRun& row = GetParam();
  const auto [status, output] = run_cli(row.arguments);
  EXPECT_EQ(status, row.status) << output;
  for (const std::string& text : row.present) EXPECT_THAT(output, HasSubstr(text));
  EXPECT_THAT(output, ::testing::Not(HasSubstr(row.absent)));
}

INSTANTIATE_TEST_SUITE_P(
    DriverModule, DriverModuleCommandLine,
    ::testing::Values(CommandLineRun{"LoadsAndUnloadsAGoodDriver",
                                     std::string("load ") + MODULE_HELLO_IMAGE + " --processors 2 --seed 5",
                                     0,
                                     {"DriverEntry returned 0x00000000 STATUS_SUCCESS",
                                      "module_hello: DriverEntry for \\Driver\\module_hello",
                                      "module_hello: unloading \\Driver\\module_hello", " 0 finding(s)"},
                                     "wdmlab:"},
                      CommandLineRun{"TakesAName",
                                     std::string("load ") + MODULE_HELLO_IMAGE + " --name greeter",
                                     0,
                                     {"module_hello: unloading \\Driver\\greeter"},
                                     "wdmlab:"},
                      CommandLineRun{
                          "ReportsAFailingDriverEntry",
                          std::string("load ") + ENTRY_FAILS_IMAGE,
                          1,
                          {"DriverEntry returned 0xC000009A STATUS_INSUFFICIENT_RESOURCES",
                           "entry_fails: out of memory", "wdmlab: DriverEntry of 'entry_fails' failed with 0xC000009A"},
                          "DriverUnload ran"},
                      CommandLineRun{"ReportsACrashAsAFinding",
                                     std::string("load ") + ENTRY_NULL_DEREF_IMAGE,
                                     1,
                                     {"SYSTEM_THREAD_EXCEPTION_NOT_HANDLED", "entry_null_deref!ReadDepth",
                                      "entry_null_deref.c:17", "wdmlab: 1 finding(s), the first: "},
                                     "DriverEntry returned"},
                      CommandLineRun{"ReportsAnImageThatCannotBeLoaded",
                                     "load /nonexistent/missing.so",
                                     2,
                                     {"wdmlab: cannot load the driver image '/nonexistent/missing.so'"},
                                     "log:"},
                      // Any malformed command line is bad usage.
                      CommandLineRun{"RejectsAnUnknownOption",
                                     std::string("load ") + MODULE_HELLO_IMAGE + " --bogus",
                                     2,
                                     {"--bogus"},
                                     "DriverEntry returned"}),
    test::RowName());

}  // namespace
}  // namespace wdmlab
