// Faults other than SIGSEGV in driver code: a bus error is a page fault like the others.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>

#include "wdmlab/lab.hpp"

extern "C" ULONG BusErrorRead(volatile const UCHAR* address);

namespace wdmlab {
namespace {

TEST(Faults, ABusErrorOnAKernelAddressIsBugCheck50) {
  char path[] = "/tmp/wdmlab-bus-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  ASSERT_EQ(::ftruncate(fd, 1), 0);
  auto* mapping = static_cast<UCHAR*>(::mmap(nullptr, 2 * 4096, PROT_READ, MAP_SHARED, fd, 0));
  ASSERT_NE(mapping, MAP_FAILED);
  volatile const UCHAR* beyond_end = mapping + 4096;  // the second page has no file behind it

  Lab lab;
  lab.spawn("reader", [&] { BusErrorRead(beyond_end); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  const Finding* finding = lab.fatal_finding();
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->code, 0x50u);
  EXPECT_EQ(finding->parameters[0], reinterpret_cast<std::uintptr_t>(beyond_end));
  ASSERT_NE(finding->culprit_frame(), nullptr);
  EXPECT_EQ(finding->culprit_frame()->function, "BusErrorRead");
  ::munmap(mapping, 2 * 4096);
  ::close(fd);
}

}  // namespace
}  // namespace wdmlab
