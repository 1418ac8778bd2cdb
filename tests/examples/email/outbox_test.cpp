#include "mail_service/outbox.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/junctiond_process.hpp"

namespace {

namespace fs = std::filesystem;
using email::Outbox;
using junction::testing::TempDir;

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Outbox, WritesOneWholeMailNamedAfterItsEvent) {
  TempDir dir;
  Outbox outbox(dir.path() / "outbox", "mail-1");

  EXPECT_EQ(outbox.send("member-0001", "To: ada@example.com\n\nHello\n"), Outbox::Result::written);

  EXPECT_EQ(names_in(dir.path() / "outbox"), std::vector<std::string>{"member-0001.eml"});
  EXPECT_EQ(read(outbox.path_of("member-0001")), "To: ada@example.com\n\nHello\n");
}

TEST(Outbox, ARedeliveredEventKeepsItsFirstMail) {
  TempDir dir;
  Outbox outbox(dir.path(), "mail-1");
  ASSERT_EQ(outbox.send("order-0007", "first"), Outbox::Result::written);

  EXPECT_EQ(outbox.send("order-0007", "second"), Outbox::Result::already_sent);

  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"order-0007.eml"});
  EXPECT_EQ(read(outbox.path_of("order-0007")), "first");
}

TEST(Outbox, TwoInstancesSendingOneEventLeaveOneMail) {
  TempDir dir;
  Outbox first(dir.path(), "mail-1");
  Outbox second(dir.path(), "mail-2");

  EXPECT_EQ(first.send("member-0002", "mail"), Outbox::Result::written);
  EXPECT_EQ(second.send("member-0002", "mail"), Outbox::Result::already_sent);

  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"member-0002.eml"});
}

}  // namespace
