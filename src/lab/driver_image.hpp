// lab/driver_image.hpp - a driver image: a shared object built by wdmlab_add_driver, mapped into
// the process with dlopen as the Windows loader maps a .sys.
//
// The image stays mapped for the life of the object: a lab keeps each one until it is destroyed,
// because stacks, findings, timers and threads may still point into its code. Images may be created
// and destroyed on any thread.
#pragma once

#include <wdm.h>

#include <cstddef>
#include <filesystem>

namespace wdmlab::lab {

class DriverImage {
 public:
  // Maps `path` (RTLD_NOW | RTLD_LOCAL) and finds its DriverEntry. Throws DriverLoadError, naming
  // the image and the dynamic loader's reason, if the file cannot be mapped, an import cannot be
  // resolved, or the image itself does not export DriverEntry.
  explicit DriverImage(const std::filesystem::path& path);
  ~DriverImage();
  DriverImage(const DriverImage&) = delete;
  DriverImage& operator=(const DriverImage&) = delete;

  const std::filesystem::path& path() const { return path_; }
  PDRIVER_INITIALIZE entry() const { return entry_; }
  // The mapped range, from the ELF header to the end of the last loadable segment.
  void* start() const { return start_; }
  std::size_t size() const { return size_; }
  // True if both are the same mapping (the dynamic loader maps a file once per process).
  bool same_mapping(const DriverImage& other) const { return handle_ == other.handle_; }
  // True if another DriverImage, of this lab or another one in the process, held the same mapping
  // when this one was created: the two would share the driver's global variables.
  bool mapped_before() const { return mapped_before_; }

 private:
  std::filesystem::path path_;
  void* handle_ = nullptr;
  PDRIVER_INITIALIZE entry_ = nullptr;
  void* start_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_before_ = false;
};

}  // namespace wdmlab::lab
