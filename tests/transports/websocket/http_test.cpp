// The HTTP side of the port (console files, /api/topics, no way out of the
// console folder) and a graceful stop that closes WebSockets with 1001.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "ws_test_broker.hpp"

namespace junction::testing {
namespace {

using namespace std::chrono_literals;

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(WebsocketHttp, ServesConsoleFilesAndTopicsAndClosesWith1001OnStop) {
  TempDir files;
  const auto console = files.path() / "console";
  std::filesystem::create_directories(console);
  write_file(console / "index.html", "<!doctype html><title>console</title>");
  write_file(files.path() / "secret", "outside the console folder");
  WsTestBroker broker({.transport_toml = "console_dir = \"" + console.string() + "\"\n"});
  ASSERT_TRUE(broker.start());

  ClientProcess client({"/usr/bin/python3",
                        std::string(JUNCTION_WS_CLIENTS_DIR) + "/http_and_stop.py",
                        std::to_string(broker.port())});
  ASSERT_TRUE(client.wait_for_line([](const std::string& line) { return line == "ready"; }, 20s))
      << client.stderr_text();
  auto lines = client.lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], R"({"topics_status": 200, "topics_type": "application/json", )"
                      R"("topics": [{"name": "listed", "partitions": 1}], "index_status": 200, )"
                      R"("index_type": "text/html; charset=utf-8", "traversal_status": 404, )"
                      R"("encoded_traversal_status": 404, "missing_status": 404})");

  EXPECT_EQ(broker.stop(), 0);
  ASSERT_EQ(client.wait(20s), 0) << client.stderr_text();
  EXPECT_EQ(client.lines().back(), R"({"close_code": 1001})");
}

}  // namespace
}  // namespace junction::testing
