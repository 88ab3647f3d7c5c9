// ddi_manifest <manifest.yaml> <output.md>: renders the DDI manifest as documentation.
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "manifest.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: ddi_manifest <manifest.yaml> <output.md>\n";
    return 2;
  }
  try {
    const auto routines = wdmlab::manifest::load(argv[1]);
    std::ofstream out(argv[2]);
    out << wdmlab::manifest::render_markdown(routines);
    if (!out) {
      std::cerr << "ddi_manifest: cannot write " << argv[2] << "\n";
      return 1;
    }
  } catch (const std::exception& error) {
    std::cerr << "ddi_manifest: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
