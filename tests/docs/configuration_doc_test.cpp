// docs/configuration.md must describe every key junctiond and its bundled
// plugins read. The keys come from the code (junctiond --list-config-keys), so
// a key added to a reader without a line in the doc fails here.
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "support/junctiond_process.hpp"

namespace junction::testing {
namespace {

const std::filesystem::path kDoc =
    std::filesystem::path(JUNCTION_SOURCE_DIR) / "docs" / "configuration.md";

// The name a heading documents: its first `code span` without TOML brackets,
// so "## `[broker]`", "## `[[transport]]`" and "### `kafka` transport" name
// broker, transport and kafka.
std::string heading_section(const std::string& line) {
  const auto open = line.find('`');
  const auto close = line.find('`', open + 1);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::string name = line.substr(open + 1, close - open - 1);
  std::erase(name, '[');
  std::erase(name, ']');
  return name;
}

// Section name -> the text from its heading to the next heading of the same
// or a higher level.
std::map<std::string, std::string> doc_parts(std::istream& doc) {
  std::map<std::string, std::string> parts;
  std::string open_section;
  std::size_t open_level = 0;
  std::string line;
  while (std::getline(doc, line)) {
    const auto level = line.find_first_not_of('#');
    const bool heading = level > 0 && level != std::string::npos && line[level] == ' ';
    if (heading && level <= open_level) open_section.clear();
    if (heading && open_section.empty() && !heading_section(line).empty()) {
      open_section = heading_section(line);
      open_level = level;
    }
    if (!open_section.empty()) parts[open_section] += line + "\n";
  }
  return parts;
}

TEST(ConfigurationDoc, DescribesEveryKeyTheCodeReads) {
  auto listed = JunctiondProcess::run({"--list-config-keys"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  std::ifstream doc(kDoc);
  ASSERT_TRUE(doc) << "cannot read " << kDoc;
  const auto parts = doc_parts(doc);

  std::istringstream lines(listed.out);
  std::string section, key;
  std::set<std::string> sections;
  while (lines >> section >> key) {
    sections.insert(section);
    const auto part = parts.find(section);
    if (part == parts.end()) {
      ADD_FAILURE() << "docs/configuration.md has no heading for `" << section
                    << "`, which reads key '" << key << "'";
      continue;
    }
    EXPECT_NE(part->second.find("`" + key + "`"), std::string::npos)
        << "docs/configuration.md does not describe key `" << key << "` under its `" << section
        << "` heading";
  }
  // The listing itself must be working, or this test would pass on nothing.
  for (const char* expected :
       {"broker", "topics", "transport", "kafka", "amqp", "zeromq", "websocket"}) {
    EXPECT_TRUE(sections.contains(expected)) << "no keys listed for " << expected;
  }
}

}  // namespace
}  // namespace junction::testing
