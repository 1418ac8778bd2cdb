#pragma once

#include <zookeeper/zookeeper.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "junction/result.hpp"

namespace junction::zookeeper {

// What the client's own thread reports. Consumers must only queue it: a
// blocking zoo_* call made from that thread deadlocks the client.
enum class SessionEvent { connected, disconnected, expired, node_changed };

struct ZNode {
  std::string data;
  Stat stat{};
};

// One ZooKeeper session (an RAII zhandle_t) whose paths are relative to a
// root. Every call blocks; `watch` leaves a one-shot watch that is reported as
// node_changed. Calls return the client's code (ZOK, ZNONODE, ...).
class ZkSession {
 public:
  using EventSink = std::function<void(SessionEvent)>;

  // Connects, waiting at most `timeout` for the session to be established.
  static Result<std::unique_ptr<ZkSession>> open(const std::string& connect, std::string root,
                                                 std::chrono::milliseconds timeout, EventSink sink);
  ~ZkSession();  // closes the session: its ephemeral znodes go at once
  ZkSession(const ZkSession&) = delete;
  ZkSession& operator=(const ZkSession&) = delete;

  bool connected() const;
  std::int64_t id() const;
  // The timeout the server granted, which may differ from the one asked for.
  std::chrono::milliseconds negotiated_timeout() const;
  // "host:port/root", for messages.
  const std::string& describe() const { return description_; }

  int create(const std::string& path, const std::string& data, bool ephemeral);
  // Creates `path` and each missing ancestor as empty persistent znodes.
  int create_parents(const std::string& path);
  int get(const std::string& path, bool watch, ZNode& node);
  int exists(const std::string& path, bool watch, Stat* stat = nullptr);
  int children(const std::string& path, bool watch, std::vector<std::string>& names);
  // `version` -1 matches any; otherwise ZBADVERSION if the znode changed since.
  int set(const std::string& path, const std::string& data, int version);
  int remove(const std::string& path, int version = -1);
  // Deletes `path` only if it is an ephemeral znode of session `owner`;
  // ZOK also when there is nothing of that session's to delete.
  int remove_if_owned_by(const std::string& path, std::int64_t owner);

  // Counts every watch and session event, so a caller can wait for "anything
  // happened since" without polling.
  std::uint64_t events_seen() const;
  bool wait_for_event(std::uint64_t seen, std::chrono::steady_clock::time_point deadline) const;

 private:
  ZkSession(std::string root, std::string description, EventSink sink);
  static void on_watch(zhandle_t* handle, int type, int state, const char* path, void* context);
  std::string full_path(const std::string& path) const;

  const std::string root_;  // "" for "/"
  const std::string description_;
  const EventSink sink_;
  zhandle_t* handle_ = nullptr;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  int state_ = 0;
  std::uint64_t events_ = 0;
};

// "ZooKeeper <operation> <path>: <reason>" as an error of `code`.
Error zk_error(Errc code, int rc, const std::string& operation, const std::string& path);

}  // namespace junction::zookeeper
