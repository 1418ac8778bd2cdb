// The console in a real browser: headless Chromium opens the page junctiond
// serves, tails a topic, publishes from the form, and shows in the tail both
// that record and one kcat produces through the kafka transport.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "ws_test_broker.hpp"

namespace junction::testing {
namespace {

using namespace std::chrono_literals;

// Debian's chromium, headless, with a fresh profile; it picks its own
// DevTools port and writes it into the profile, where the driver reads it.
std::unique_ptr<ClientProcess> start_chromium(const std::filesystem::path& profile) {
  return std::make_unique<ClientProcess>(std::vector<std::string>{
      "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
      "--user-data-dir=" + profile.string(), "--remote-debugging-port=0", "about:blank"});
}

// Sends one JSON command to the CDP driver and returns its one-line answer.
std::string ask(ClientProcess& driver, const std::string& command) {
  const auto answered = driver.lines().size();
  if (!driver.write_line(command)) return "driver gone: " + driver.stderr_text();
  if (!wait_until([&] { return driver.lines().size() > answered; }, 30s)) {
    return "no answer; driver stderr: " + driver.stderr_text();
  }
  return driver.lines()[answered];
}

bool succeeded(const std::string& answer) {
  return answer.find("\"ok\": true") != std::string::npos;
}

TEST(WebSocketConsole, TailShowsRecordsPublishedFromTheFormAndByKcat) {
  WsTestBroker broker({.with_kafka = true});
  ASSERT_TRUE(broker.start());
  TempDir profile;
  auto chromium = start_chromium(profile.path());
  ASSERT_TRUE(chromium->started());
  ClientProcess driver({"/usr/bin/python3",
                        std::string(JUNCTION_WS_CLIENTS_DIR) + "/console_driver.py",
                        profile.path().string()});
  ASSERT_TRUE(driver.wait_for_line([](const std::string& line) { return succeeded(line); }, 30s))
      << driver.stderr_text() << chromium->stderr_text();

  const auto console_url = "http://127.0.0.1:" + std::to_string(broker.port()) + "/";
  auto opened = ask(driver, R"({"do": "open", "url": ")" + console_url + R"("})");
  ASSERT_TRUE(succeeded(opened)) << opened;
  auto tailing = ask(driver, R"({"do": "tail", "topic": "console-demo"})");
  ASSERT_TRUE(succeeded(tailing)) << tailing;
  // Subscribing created the topic; the list shows it after a refresh.
  auto listed = ask(driver, R"({"do": "topics", "expect": "console-demo"})");
  EXPECT_TRUE(succeeded(listed)) << listed;

  auto published = ask(driver, R"({"do": "publish", "topic": "console-demo", "key": "k1",)"
                               R"( "value": "hello from the form", "headers": "origin=console"})");
  ASSERT_TRUE(succeeded(published)) << published;
  EXPECT_NE(published.find("at offset 0"), std::string::npos) << published;
  auto from_form = ask(driver, R"({"do": "wait_record", "value": "hello from the form"})");
  ASSERT_TRUE(succeeded(from_form)) << from_form;
  EXPECT_NE(from_form.find(R"("key": "k1")"), std::string::npos) << from_form;
  EXPECT_NE(from_form.find(R"("offset": "0")"), std::string::npos) << from_form;
  EXPECT_NE(from_form.find(R"("headers": "origin=console")"), std::string::npos) << from_form;

  auto produced = run_command({"kcat", "-b", broker.kafka_bootstrap(), "-P", "-t", "console-demo",
                               "-K", ":", "-H", "origin=kcat"},
                              "k2:hello from kcat\n", 30s);
  ASSERT_EQ(produced.status, 0) << produced.err;
  auto from_kcat = ask(driver, R"({"do": "wait_record", "value": "hello from kcat"})");
  ASSERT_TRUE(succeeded(from_kcat)) << from_kcat;
  EXPECT_NE(from_kcat.find(R"("key": "k2")"), std::string::npos) << from_kcat;
  EXPECT_NE(from_kcat.find(R"("headers": "origin=kcat")"), std::string::npos) << from_kcat;

  const auto artifacts = std::filesystem::path(JUNCTION_BINARY_DIR) / "test-artifacts";
  std::filesystem::create_directories(artifacts);
  const auto screenshot = artifacts / "console.png";
  std::filesystem::remove(screenshot);
  auto shot = ask(driver, R"({"do": "screenshot", "path": ")" + screenshot.string() + R"("})");
  ASSERT_TRUE(succeeded(shot)) << shot;
  std::ifstream png(screenshot, std::ios::binary);
  std::string magic(8, '\0');
  png.read(magic.data(), 8);
  EXPECT_EQ(magic, "\x89PNG\r\n\x1a\n");
  std::cout << "console screenshot: " << screenshot.string() << std::endl;

  // A browser asked to close reaps its helpers; the SIGKILL (by pid) only
  // matters when it did not exit.
  auto closed = ask(driver, R"({"do": "close"})");
  EXPECT_TRUE(succeeded(closed)) << closed;
  EXPECT_EQ(chromium->wait(20s), 0) << chromium->stderr_text();
  chromium->kill_hard();
  EXPECT_EQ(driver.wait(10s), 0) << driver.stderr_text();
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
