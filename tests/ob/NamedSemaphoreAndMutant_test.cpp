// Semaphore and mutant objects by handle (the services behind CreateSemaphoreW, CreateMutexW,
// ReleaseSemaphore, ReleaseMutex): counts and limits, opening by name, ownership, and a mutant
// abandoned by a thread that ended while owning it.
#include <gtest/gtest.h>

#include <vector>

#include "ob/sync_objects.hpp"
#include "object_names.hpp"
#include "support/lab_test.hpp"
#include "user_threads.hpp"

namespace wdmlab::test {
namespace {

TEST(NamedSemaphore, CountsReleasesUpToItsMaximumAndWaitsTakeOneEach) {
  std::vector<NTSTATUS> statuses;
  LONG previous = -1, count_after_waits = -1;
  runs_clean([&] {
    ObjectName name(u"\\BaseNamedObjects\\Slots", OBJ_KERNEL_HANDLE);
    HANDLE semaphore = nullptr, opened = nullptr;
    statuses.push_back(ob::create_semaphore(&semaphore, SEMAPHORE_ALL_ACCESS, name.get(), 1, 3));
    statuses.push_back(ob::open_semaphore(&opened, SEMAPHORE_MODIFY_STATE | SYNCHRONIZE, name.get()));
    statuses.push_back(ob::release_semaphore(opened, 2, &previous));
    statuses.push_back(ob::release_semaphore(opened, 1, nullptr));  // would make 4 of 3
    LARGE_INTEGER zero{};
    statuses.push_back(ob::wait_for_single_object(semaphore, false, &zero));
    statuses.push_back(ob::wait_for_single_object(semaphore, false, &zero));
    PVOID object = nullptr;
    ObReferenceObjectByHandle(semaphore, 0, *ExSemaphoreObjectType, KernelMode, &object, nullptr);
    count_after_waits = KeReadStateSemaphore(static_cast<PKSEMAPHORE>(object));
    ObDereferenceObject(object);
    HANDLE bad = nullptr;
    statuses.push_back(ob::create_semaphore(&bad, SEMAPHORE_ALL_ACCESS, nullptr, 2, 1));
    ZwClose(semaphore);
    ZwClose(opened);
  });
  EXPECT_EQ(statuses,
            (std::vector<NTSTATUS>{STATUS_SUCCESS, STATUS_SUCCESS, STATUS_SUCCESS, STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                                   STATUS_SUCCESS, STATUS_SUCCESS, STATUS_INVALID_PARAMETER}));
  EXPECT_EQ(previous, 1);
  EXPECT_EQ(count_after_waits, 1);
}

TEST(NamedMutant, OnlyItsOwnerReleasesItAndItsNextWaiterGetsIt) {
  Lab lab({.processors = 2, .seed = 6});
  _EPROCESS* process = processes().create_process("app.exe");
  static HANDLE mutant = nullptr;
  NTSTATUS created = -1, foreign_release = -1, waited = -1, owner_release = -1, second_release = -1;
  LONG previous = 1;
  start_user_thread(process, "owner", [&] {
    in_service([&] {
      ObjectName name(u"\\BaseNamedObjects\\Lock");
      created = ob::create_mutant(&mutant, MUTANT_ALL_ACCESS, name.get(), true);
    });
    LARGE_INTEGER later = relative_ms(2);
    KeDelayExecutionThread(KernelMode, FALSE, &later);
    in_service([&] { owner_release = ob::release_mutant(mutant, &previous); });
    in_service([&] { second_release = ob::release_mutant(mutant, nullptr); });
  });
  start_user_thread(process, "other", [&] {
    LARGE_INTEGER soon = relative_ms(1);
    KeDelayExecutionThread(KernelMode, FALSE, &soon);
    in_service([&] { foreign_release = ob::release_mutant(mutant, nullptr); });
    waited = in_service([&] { return ob::wait_for_single_object(mutant, false, nullptr); });
    in_service([&] { ob::release_mutant(mutant, nullptr); });
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
  EXPECT_EQ(created, STATUS_SUCCESS);
  EXPECT_EQ(foreign_release, STATUS_MUTANT_NOT_OWNED);
  EXPECT_EQ(owner_release, STATUS_SUCCESS);
  EXPECT_EQ(previous, 0);
  EXPECT_EQ(waited, STATUS_SUCCESS);
  EXPECT_EQ(second_release, STATUS_MUTANT_NOT_OWNED);  // the other thread owns it by then
  ob::ObjectManager::require().dereference(process);
}

TEST(NamedMutant, AThreadEndingWhileItOwnsOneAbandonsIt) {
  Lab lab({.processors = 2, .seed = 7});
  _EPROCESS* process = processes().create_process("app.exe");
  keep_alive(process);  // the owner's end must not end the process
  static HANDLE mutant = nullptr;
  NTSTATUS waited = -1;
  start_user_thread(process, "owner", [&] {
    in_service([&] { ob::create_mutant(&mutant, MUTANT_ALL_ACCESS, nullptr, true); });
  });  // ends without releasing it
  ASSERT_EQ(lab.run_until_idle(), RunStatus::Idle);
  start_user_thread(process, "heir",
                    [&] { waited = in_service([&] { return ob::wait_for_single_object(mutant, false, nullptr); }); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());  // a mutant does not disable APCs: no THREAD_TERMINATE_HELD_MUTEX
  EXPECT_EQ(waited, STATUS_ABANDONED);
  ob::ObjectManager::require().dereference(process);
}

}  // namespace
}  // namespace wdmlab::test
