#include "events.hpp"

#include <array>
#include <cstdio>

namespace email {
namespace {

struct Member {
  const char* name;
  const char* email;
};

constexpr std::array kMembers{
    Member{"Ada Lovelace", "ada@example.com"},
    Member{"Alan Turing", "alan@example.com"},
    Member{"Grace Hopper", "grace@example.com"},
    Member{"Edsger Dijkstra", "edsger@example.com"},
    Member{"Barbara Liskov", "barbara@example.com"},
    Member{"Donald Knuth", "don@example.com"},
};

const Member& member_of(long sequence) { return kMembers[sequence % kMembers.size()]; }

std::string event_id(const char* kind, long sequence) {
  char id[32];
  std::snprintf(id, sizeof id, "%s-%04ld", kind, sequence);
  return id;
}

}  // namespace

std::string member_signed_up_json(long sequence) {
  const Member& member = member_of(sequence);
  return std::string("{\"id\":\"") + event_id("member", sequence) + "\",\"name\":\"" + member.name +
         "\",\"email\":\"" + member.email + "\"}";
}

std::string order_completed_json(long sequence) {
  const Member& member = member_of(sequence * 7 + 3);
  return std::string("{\"id\":\"") + event_id("order", sequence) + "\",\"name\":\"" + member.name +
         "\",\"email\":\"" + member.email + "\",\"total\":\"" + std::to_string(10 + sequence % 90) +
         ".00 EUR\"}";
}

std::optional<std::string> json_string_field(std::string_view json, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\":\"";
  const auto start = json.find(key);
  if (start == std::string_view::npos) return std::nullopt;
  const auto value_start = start + key.size();
  const auto end = json.find('"', value_start);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(json.substr(value_start, end - value_start));
}

}  // namespace email
