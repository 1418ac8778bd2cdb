#include <algorithm>
#include <cstdlib>
#include <set>

#include "sdk/config_errors.hpp"

namespace junction {

struct ConfigSection::Impl {
  std::shared_ptr<const toml::table> document;
  const toml::table* table = nullptr;
  std::string file;
  std::shared_ptr<ConfigErrors> errors;
  std::set<std::string, std::less<>> read_keys;
  bool had_error = false;
  std::shared_ptr<KeyListing> listing;  // set only in a key-listing section
  std::string listing_prefix;           // "users." inside a listed [[users]]

  const toml::node* find(std::string_view key) {
    read_keys.emplace(key);
    return table ? table->get(key) : nullptr;
  }

  // A key read for its value (not a table): the keys worth listing.
  const toml::node* find_value(std::string_view key) {
    if (listing) {
      const std::string path = listing_prefix + std::string(key);
      if (std::find(listing->begin(), listing->end(), path) == listing->end()) {
        listing->push_back(path);
      }
    }
    return find(key);
  }

  ConfigSection listing_child(std::string_view key) const {
    auto child = std::make_shared<Impl>();
    child->errors = errors;
    child->listing = listing;
    child->listing_prefix = listing_prefix + std::string(key) + ".";
    return ConfigSection(std::move(child));
  }

  std::string position(const toml::node* node) const {
    const toml::node* where = node ? node : table;
    if (!where) return file;
    return format_position(file, where->source().begin);
  }

  void report(const toml::node* node, std::string_view message) {
    had_error = true;
    errors->add(position(node) + ": " + std::string(message));
  }

  void wrong_type(const toml::node* node, std::string_view key, std::string_view expected) {
    std::string message = "key '" + std::string(key) + "' must be " + std::string(expected) +
                          ", not " +
                          std::string(toml::impl::node_type_friendly_names[size_t(node->type())]);
    report(node, message);
  }
};

void ConfigErrors::add(std::string message) {
  // The position is read back once, here, from the prefix every caller writes.
  std::pair<long, long> position{0, 0};
  const std::string prefix = file_ + ":";
  if (message.starts_with(prefix)) {
    char* end = nullptr;
    position.first = std::strtol(message.c_str() + prefix.size(), &end, 10);
    if (*end == ':') position.second = std::strtol(end + 1, nullptr, 10);
  }
  std::lock_guard lock(mutex_);
  entries_.push_back(Entry{position, std::move(message)});
}

std::vector<std::string> ConfigErrors::messages() const {
  std::vector<Entry> sorted;
  {
    std::lock_guard lock(mutex_);
    sorted = entries_;
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Entry& a, const Entry& b) { return a.position < b.position; });
  std::vector<std::string> messages;
  for (auto& entry : sorted) messages.push_back(std::move(entry.text));
  return messages;
}

std::string format_position(const std::string& file, const toml::source_position& position) {
  return file + ":" + std::to_string(position.line) + ":" + std::to_string(position.column);
}

ConfigSection make_config_section(std::shared_ptr<const toml::table> document,
                                  const toml::table* table, std::string file,
                                  std::shared_ptr<ConfigErrors> errors) {
  auto impl = std::make_shared<ConfigSection::Impl>();
  impl->document = std::move(document);
  impl->table = table;
  impl->file = std::move(file);
  impl->errors = std::move(errors);
  return ConfigSection(std::move(impl));
}

ConfigSection make_key_listing_section(std::shared_ptr<KeyListing> keys) {
  auto impl = std::make_shared<ConfigSection::Impl>();
  impl->errors = std::make_shared<ConfigErrors>();
  impl->listing = std::move(keys);
  return ConfigSection(std::move(impl));
}

ConfigSection::ConfigSection()
    : ConfigSection(make_config_section(nullptr, nullptr, "", std::make_shared<ConfigErrors>())) {}

ConfigSection::ConfigSection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConfigSection::~ConfigSection() = default;

bool ConfigSection::contains(std::string_view key) const {
  if (impl_->listing) return true;
  return impl_->table && impl_->table->contains(key);
}

std::string ConfigSection::string(std::string_view key, std::string fallback) {
  const toml::node* node = impl_->find_value(key);
  if (!node) return fallback;
  if (const auto* value = node->as_string()) return value->get();
  impl_->wrong_type(node, key, "a string");
  return fallback;
}

HostPort ConfigSection::host_port(std::string_view key, HostPort fallback) {
  if (!impl_->find_value(key)) return fallback;
  const auto text = string(key, "");
  if (auto parsed = parse_host_port(text)) return *parsed;
  fail(key, "expected \"host:port\", got \"" + text + "\"");
  return fallback;
}

std::int64_t ConfigSection::integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) {
  const toml::node* node = impl_->find_value(key);
  if (!node) return fallback;
  const auto* value = node->as_integer();
  if (!value) {
    impl_->wrong_type(node, key, "an integer");
    return fallback;
  }
  if (value->get() < min || value->get() > max) {
    impl_->report(node, "key '" + std::string(key) + "' must be between " + std::to_string(min) +
                            " and " + std::to_string(max) + ", not " +
                            std::to_string(value->get()));
    return fallback;
  }
  return value->get();
}

bool ConfigSection::boolean(std::string_view key, bool fallback) {
  const toml::node* node = impl_->find_value(key);
  if (!node) return fallback;
  if (const auto* value = node->as_boolean()) return value->get();
  impl_->wrong_type(node, key, "true or false");
  return fallback;
}

std::vector<std::string> ConfigSection::strings(std::string_view key,
                                                std::vector<std::string> fallback) {
  const toml::node* node = impl_->find_value(key);
  if (!node) return fallback;
  const auto* array = node->as_array();
  if (!array) {
    impl_->wrong_type(node, key, "an array of strings");
    return fallback;
  }
  std::vector<std::string> values;
  for (const toml::node& element : *array) {
    if (const auto* text = element.as_string()) {
      values.push_back(text->get());
    } else {
      impl_->wrong_type(&element, key, "an array of strings");
      return fallback;
    }
  }
  return values;
}

ConfigSection ConfigSection::section(std::string_view key) {
  if (impl_->listing) return impl_->listing_child(key);
  const toml::node* node = impl_->find(key);
  const toml::table* table = nullptr;
  if (node) {
    table = node->as_table();
    if (!table) impl_->wrong_type(node, key, "a table");
  }
  return make_config_section(impl_->document, table, impl_->file, impl_->errors);
}

std::vector<ConfigSection> ConfigSection::sections(std::string_view key) {
  if (impl_->listing) return {impl_->listing_child(key)};
  const toml::node* node = impl_->find(key);
  std::vector<ConfigSection> result;
  if (!node) return result;
  const auto* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    impl_->report(node, "key '" + std::string(key) + "' must be an array of tables: write [[" +
                            std::string(key) + "]]");
    return result;
  }
  for (const toml::node& element : *array) {
    result.push_back(
        make_config_section(impl_->document, element.as_table(), impl_->file, impl_->errors));
  }
  return result;
}

void ConfigSection::fail(std::string_view key, std::string_view message) {
  const toml::node* node = impl_->table && !key.empty() ? impl_->table->get(key) : nullptr;
  impl_->report(node,
                key.empty() ? message : "key '" + std::string(key) + "': " + std::string(message));
}

void ConfigSection::reject_unknown_keys() {
  if (!impl_->table) return;
  for (const auto& [key, node] : *impl_->table) {
    if (!impl_->read_keys.contains(key.str())) {
      impl_->had_error = true;
      impl_->errors->add(format_position(impl_->file, key.source().begin) + ": unknown key '" +
                         std::string(key.str()) + "'");
    }
  }
}

std::string ConfigSection::where(std::string_view key) const {
  const toml::node* node = impl_->table && !key.empty() ? impl_->table->get(key) : nullptr;
  return impl_->position(node);
}

bool ConfigSection::has_errors() const { return impl_->had_error; }

}  // namespace junction
