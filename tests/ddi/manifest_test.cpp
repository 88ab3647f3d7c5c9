// The DDI manifest (src/ddi.yaml) is the list of routines drivers can call. It must match what
// the lab's libraries export, in both directions, and docs/ddi.md must be generated from it.
#include <dlfcn.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <link.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "manifest.hpp"
#include "wdmlab/lab.hpp"

#ifndef WDMLAB_SOURCE_DIR
#error "WDMLAB_SOURCE_DIR must be defined"
#endif

namespace {

using wdmlab::manifest::Routine;

std::vector<Routine> routines() { return wdmlab::manifest::load(WDMLAB_SOURCE_DIR "/src/ddi.yaml"); }

// Names of the functions the lab's libraries export that look like kernel routines.
std::set<std::string> exported_routines() {
  std::vector<std::string> libraries;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        std::string name = info->dlpi_name != nullptr ? info->dlpi_name : "";
        if (name.find("libwdmlab_") != std::string::npos) static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &libraries);
  const std::regex routine(
      "^(Ke|Kf|Ex|Rtl|Ob|Obf|Ps|Zw|Nt|Io|Iof|Mm|Se|Po|Probe|Dbg|vDbg|Interlocked|Initialize|Insert|Remove|Push|Pop|Query)[A-Z].*");
  std::set<std::string> names;
  elf_version(EV_CURRENT);
  for (const std::string& path : libraries) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) continue;
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    for (Elf_Scn* section = nullptr; (section = elf_nextscn(elf, section)) != nullptr;) {
      GElf_Shdr header;
      gelf_getshdr(section, &header);
      if (header.sh_type != SHT_DYNSYM) continue;
      Elf_Data* data = elf_getdata(section, nullptr);
      const std::size_t count = header.sh_size / header.sh_entsize;
      for (std::size_t i = 0; i < count; ++i) {
        GElf_Sym symbol;
        gelf_getsym(data, static_cast<int>(i), &symbol);
        if (symbol.st_shndx == SHN_UNDEF || GELF_ST_TYPE(symbol.st_info) != STT_FUNC) continue;
        std::string name = elf_strptr(elf, header.sh_link, symbol.st_name);
        if (std::regex_match(name, routine)) names.insert(name);
      }
    }
    elf_end(elf);
    ::close(fd);
  }
  return names;
}

TEST(DdiManifest, EveryListedRoutineIsExported) {
  wdmlab::Lab lab;  // the libraries are loaded
  for (const Routine& routine : routines()) {
    EXPECT_NE(dlsym(RTLD_DEFAULT, routine.name.c_str()), nullptr) << routine.name << " is listed but not exported";
  }
}

TEST(DdiManifest, EveryExportedRoutineIsListed) {
  std::set<std::string> listed;
  for (const Routine& routine : routines()) listed.insert(routine.name);
  const std::set<std::string> exported = exported_routines();
  EXPECT_GT(exported.size(), 100u);
  for (const std::string& name : exported) {
    EXPECT_TRUE(listed.count(name)) << name << " is exported but missing from src/ddi.yaml";
  }
}

TEST(DdiManifest, DocumentationIsGeneratedFromIt) {
  std::ifstream file(WDMLAB_SOURCE_DIR "/docs/ddi.md");
  std::stringstream committed;
  committed << file.rdbuf();
  EXPECT_EQ(committed.str(), wdmlab::manifest::render_markdown(routines()))
      << "docs/ddi.md is stale: run build/default/bin/ddi_manifest src/ddi.yaml docs/ddi.md";
}

TEST(DdiManifest, MalformedManifestIsAClearError) {
  const std::string path = ::testing::TempDir() + "/bad_ddi.yaml";
  std::ofstream(path) << "routines:\n  - name: KeFoo\n    subsystem: ke\n    irql: any\n    status: maybe\n";
  try {
    wdmlab::manifest::load(path);
    FAIL() << "a bad status was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("KeFoo"), std::string::npos);
  }
}

}  // namespace
