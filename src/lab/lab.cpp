#include "wdmlab/lab.hpp"

#include <fmt/format.h>

#include <deque>

#include "base/address_space.hpp"
#include "base/log_sink.hpp"
#include "ex/executive.hpp"
#include "io/driver.hpp"
#include "ke/kernel.hpp"
#include "mm/memory_manager.hpp"
#include "lab/driver_image.hpp"
#include "ob/object.hpp"
#include "ps/process.hpp"
#include "rtl/debug_print.hpp"
#include "sched/scheduler.hpp"
#include "user/user_process.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab {

namespace {

// Hands a shared policy to the scheduler, which owns its policy.
class SharedPolicy final : public SchedulingPolicy {
 public:
  explicit SharedPolicy(std::shared_ptr<SchedulingPolicy> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  std::size_t choose(std::span<const SchedulingOption> options) override { return inner_->choose(options); }
  void on_context_created(std::uint32_t id) override { inner_->on_context_created(id); }
  void on_context_finished(std::uint32_t id) override { inner_->on_context_finished(id); }

 private:
  std::shared_ptr<SchedulingPolicy> inner_;
};

RunStatus convert(sched::RunStatus status) {
  switch (status) {
    case sched::RunStatus::Idle:
      return RunStatus::Idle;
    case sched::RunStatus::Stopped:
      return RunStatus::Stopped;
    case sched::RunStatus::TimeElapsed:
      return RunStatus::TimeElapsed;
  }
  return RunStatus::Stopped;
}

// The command-line options that rebuild this machine (`wdmlab run <sample> <options>`): seed,
// processors, scheduling policy and verifier settings.
std::string replay_options(const LabOptions& options) {
  std::string policy = options.policy ? options.policy->name() : "random";
  if (policy.rfind("random", 0) == 0) policy = "random";
  std::string text = fmt::format("--seed {} --processors {} --policy {} --verifier 0x{:X}", options.seed,
                                 options.processors, policy, options.verifier.flags);
  for (std::uint64_t rule : options.verifier.disabled_rules) text += fmt::format(" --disable-rule 0x{:X}", rule);
  for (const auto& [driver, flags] : options.verifier.driver_flags) {
    text += fmt::format(" --driver-verifier {}=0x{:X}", driver, flags);
  }
  return text;
}

const Finding* first_fatal(const std::vector<Finding>& findings) {
  for (const Finding& finding : findings) {
    if (finding.severity == Severity::Fatal) return &finding;
  }
  return nullptr;
}

}  // namespace

struct Lab::Impl {
  // Declaration order is construction order; destruction runs in reverse, so driver images are
  // unmapped last, after everything that may still point into their code.
  struct MappedImage {
    std::unique_ptr<lab::DriverImage> image;
    const LoadedDriver* driver;
  };
  std::vector<MappedImage> images;
  Log log;
  verifier::Verifier verifier;
  base::AddressSpace address_space;
  sched::Scheduler scheduler;
  ke::Kernel kernel;
  ob::ObjectManager objects;
  ps::ProcessManager processes;
  ex::Executive executive;
  mm::MemoryManager memory;
  io::IoManager io;
  std::deque<LoadedDriver> drivers;
  std::vector<std::unique_ptr<UserProcess>> user_processes;
  // The scheduler's findings, each with Finding::replay filled in.
  std::vector<Finding> findings;
  std::string replay;

  explicit Impl(LabOptions& options)
      : verifier(options.verifier, options.seed),
        scheduler(
            sched::SchedulerOptions{
                .processors = options.processors,
                .stack_size = options.stack_size,
                .max_decisions = options.max_decisions,
                .watchdog_ms = options.watchdog_ms,
                .record_schedule = options.record_schedule,
                .trace = options.trace,
            },
            options.policy ? std::unique_ptr<SchedulingPolicy>(std::make_unique<SharedPolicy>(options.policy))
                           : make_random_policy(options.seed)),
        kernel(scheduler),
        processes(objects),
        executive(kernel, processes),
        memory(address_space),
        io(objects) {
    base::set_current_log(&log);
    base::AddressSpace::set_current(&address_space);
    io.irps().zone().set_quarantine(options.protect_freed_irps);
    rtl::reset_debug_filter();  // each machine boots with the default DbgPrint filter
    replay = replay_options(options);
  }

  ~Impl() {
    if (base::current_log() == &log) base::set_current_log(nullptr);
    if (base::AddressSpace::current() == &address_space) base::AddressSpace::set_current(nullptr);
  }

  // A line in the log from the lab itself, charged to `driver`.
  void note(const std::string& driver, std::string text) {
    log.append(LogRecord{.virtual_time = scheduler.now(), .context = "lab", .driver = driver, .text = std::move(text)});
  }

  // Creates the driver object, keeping `image` (null for a linked-in driver) for the life of the
  // lab once it has one, and runs DriverEntry until the lab is idle (Lab::load_driver).
  LoadedDriver& start_driver(PDRIVER_INITIALIZE entry, const std::string& name,
                             std::unique_ptr<lab::DriverImage> image) {
    io::DriverRecord& record = image != nullptr
                                   ? io.create_driver(name, entry, image->start(), static_cast<ULONG>(image->size()))
                                   : io.create_driver(name, entry);
    LoadedDriver& driver = drivers.emplace_back();
    driver.name = name;
    if (image != nullptr) {
      driver.image = image->path();
      images.push_back({std::move(image), &driver});
    }
    PDRIVER_OBJECT object = record.object;
    PUNICODE_STRING registry = &record.registry_path;
    NTSTATUS* status = &driver.entry_status;
    processes.create_system_thread(
        fmt::format("DriverEntry({})", name), [entry, object, registry, status] { *status = entry(object, registry); },
        &record.identity, true);
    scheduler.run_until_idle();
    if (*status == STATUS_PENDING && scheduler.stopped()) {
      const Finding* fatal = first_fatal(scheduler.findings());
      throw UsageError(fmt::format("the driver '{}' could not be loaded: the lab stopped while DriverEntry ran: {}",
                                   name, fatal != nullptr ? fatal->summary() : "no finding"));
    }
    if (NT_SUCCESS(*status)) {
      io::driver_initialized(record);
      driver.object = object;
    } else {
      note(name, fmt::format("DriverEntry of '{}' failed with 0x{:08X} {}; the driver is not loaded", name,
                             static_cast<std::uint32_t>(*status), status_name(*status)));
    }
    return driver;
  }
};

Lab::Lab(LabOptions options) : impl_(std::make_unique<Impl>(options)) {}

Lab::~Lab() = default;

LoadedDriver& Lab::load_driver(PDRIVER_INITIALIZE entry, std::string name) {
  if (entry == nullptr) throw UsageError("load_driver needs the driver's DriverEntry");
  if (impl_->scheduler.stopped()) throw UsageError("the lab stopped on a fatal finding; create a new lab");
  return impl_->start_driver(entry, name, nullptr);
}

LoadedDriver& Lab::load_driver(const std::filesystem::path& image, std::string name) {
  if (impl_->scheduler.stopped()) throw UsageError("the lab stopped on a fatal finding; create a new lab");
  auto mapped = std::make_unique<lab::DriverImage>(image);
  for (const Impl::MappedImage& loaded : impl_->images) {
    if (loaded.image->same_mapping(*mapped)) {
      throw DriverLoadError(fmt::format(
          "the driver image '{}' is already loaded in this lab as the driver '{}' (a lab keeps every image it "
          "loaded until it is destroyed; load it again in a new lab)",
          image.string(), loaded.driver->name));
    }
  }
  if (mapped->mapped_before()) {
    throw DriverLoadError(fmt::format(
        "the driver image '{}' is loaded by another lab in this process (a file is mapped once per process, so the "
        "two drivers would share their global variables)",
        image.string()));
  }
  if (name.empty()) {
    const std::string file = image.filename().string();
    name = file.substr(0, file.find('.'));
  }
  PDRIVER_INITIALIZE entry = mapped->entry();
  return impl_->start_driver(entry, name, std::move(mapped));
}

void Lab::unload_driver(LoadedDriver& driver) {
  if (!driver.loaded()) throw UsageError(fmt::format("the driver '{}' is not loaded", driver.name));
  io::DriverRecord* record = impl_->io.find(driver.object);
  if (record == nullptr) throw UsageError(fmt::format("the driver '{}' is not known to the I/O manager", driver.name));
  if (!io::unload_driver(*record)) {
    impl_->note(driver.name, fmt::format("the unload of '{}' is pending: file objects are still open on its devices; "
                                         "DriverUnload runs when the last one is closed",
                                         driver.name));
  }
  impl_->scheduler.run_until_idle();
  driver.object = nullptr;
}

UserProcess& Lab::create_process(std::string image_name) {
  if (impl_->scheduler.stopped()) throw UsageError("the lab stopped on a fatal finding; create a new lab");
  return *impl_->user_processes.emplace_back(user::create_process(std::move(image_name)));
}

void Lab::spawn(std::string name, std::function<void()> body) {
  if (!body) throw UsageError("spawn needs a body");
  impl_->processes.create_system_thread(std::move(name), std::move(body), nullptr, true);
}

RunStatus Lab::run_until_idle() { return convert(impl_->scheduler.run_until_idle()); }

RunStatus Lab::run_for(std::chrono::nanoseconds duration) {
  if (duration.count() < 0) throw UsageError("run_for needs a non-negative duration");
  return convert(impl_->scheduler.run_for(static_cast<sched::Time>(duration.count() / 100)));
}

const Log& Lab::log() const { return impl_->log; }

const std::vector<Finding>& Lab::findings() {
  const std::vector<Finding>& made = impl_->scheduler.findings();
  for (std::size_t i = impl_->findings.size(); i < made.size(); ++i) {
    Finding& finding = impl_->findings.emplace_back(made[i]);
    if (finding.replay.empty()) finding.replay = impl_->replay;
  }
  return impl_->findings;
}

const Finding* Lab::fatal_finding() { return first_fatal(findings()); }

bool Lab::stopped() const { return impl_->scheduler.stopped(); }
std::uint64_t Lab::now() const { return impl_->scheduler.now(); }
std::uint64_t Lab::decisions() const { return impl_->scheduler.decisions(); }
std::uint64_t Lab::schedule_digest() const { return impl_->scheduler.schedule_digest(); }
const std::vector<TraceEvent>& Lab::trace() const { return impl_->scheduler.trace(); }
const std::vector<std::uint32_t>& Lab::schedule() const { return impl_->scheduler.schedule(); }
unsigned Lab::processors() const { return static_cast<unsigned>(impl_->scheduler.processors().size()); }

VerifierCounters Lab::verifier_counters(const std::string& driver) const {
  return impl_->verifier.counters_by_name(driver);
}

void* Lab::map_user_buffer(std::size_t size) { return impl_->address_space.map_user(size); }

void* Lab::invalid_user_address() const {
  // The first page of the user range is never mapped.
  return reinterpret_cast<void*>(impl_->address_space.user_base() + 0x10);
}

}  // namespace wdmlab
