#include "lab/driver_image.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "base/stack.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::lab {

namespace {

std::string loader_error() {
  const char* reason = ::dlerror();
  return reason != nullptr ? reason : "no reason given";
}

// Every mapping a DriverImage holds, once per holder.
std::mutex g_mappings_lock;
std::vector<void*> g_mappings;

struct MappedRange {
  const link_map* map = nullptr;
  std::uintptr_t start = 0;
  std::uintptr_t end = 0;
};

// The span of the image's loadable segments, page-aligned as the loader maps them.
int find_range(dl_phdr_info* info, std::size_t, void* data) {
  auto* range = static_cast<MappedRange*>(data);
  if (info->dlpi_addr != range->map->l_addr || std::strcmp(info->dlpi_name, range->map->l_name) != 0) return 0;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  range->start = UINTPTR_MAX;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& header = info->dlpi_phdr[i];
    if (header.p_type != PT_LOAD) continue;
    const std::uintptr_t begin = info->dlpi_addr + header.p_vaddr;
    range->start = std::min(range->start, begin & ~(page - 1));
    range->end = std::max(range->end, (begin + header.p_memsz + page - 1) & ~(page - 1));
  }
  return 1;
}

}  // namespace

DriverImage::DriverImage(const std::filesystem::path& path) {
  // A name without a slash would make dlopen search the library path instead of opening the file.
  std::error_code error;
  path_ = std::filesystem::absolute(path, error);
  if (error) path_ = path;
  const std::string shown = path.string();
  ::dlerror();
  handle_ = ::dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    std::string reason = loader_error();
    if (reason.find("undefined symbol") != std::string::npos) {
      reason += " (the image calls a routine the lab does not define; wdmlab_add_driver's link names such routines)";
    }
    throw DriverLoadError(fmt::format("cannot load the driver image '{}': {}", shown, reason));
  }
  base::symbolizer().invalidate();

  const link_map* map = nullptr;
  MappedRange range;
  if (::dlinfo(handle_, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr) {
    range.map = map;
    ::dl_iterate_phdr(find_range, &range);
  }
  start_ = reinterpret_cast<void*>(range.start);
  size_ = range.end - range.start;

  ::dlerror();
  void* entry = ::dlsym(handle_, "DriverEntry");
  const auto address = reinterpret_cast<std::uintptr_t>(entry);
  if (entry == nullptr || address < range.start || address >= range.end) {
    const std::string reason = entry == nullptr ? loader_error() : "DriverEntry is defined by another object";
    ::dlclose(handle_);
    base::symbolizer().invalidate();
    throw DriverLoadError(fmt::format(
        "the driver image '{}' exports no DriverEntry: {} (build drivers with wdmlab_add_driver, which exports "
        "DriverEntry)",
        shown, reason));
  }
  entry_ = reinterpret_cast<PDRIVER_INITIALIZE>(entry);
  const std::lock_guard lock(g_mappings_lock);
  mapped_before_ = std::find(g_mappings.begin(), g_mappings.end(), handle_) != g_mappings.end();
  g_mappings.push_back(handle_);
}

DriverImage::~DriverImage() {
  {
    const std::lock_guard lock(g_mappings_lock);
    g_mappings.erase(std::find(g_mappings.begin(), g_mappings.end(), handle_));
  }
  ::dlclose(handle_);
  base::symbolizer().invalidate();
}

}  // namespace wdmlab::lab
