#pragma once

// File helpers shared by the storage files (segments, the group offset store,
// subscription journals): each retries EINTR and short transfers, and reports
// failures as io_errors that name the operation and the file.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>

#include "junction/result.hpp"

namespace junction::storage {

// An io_error naming the operation, the file and the errno text.
Error io_error(std::string_view operation, const std::filesystem::path& path, int error_number);

// Makes the creation, renaming and removal of the directory's entries durable.
Result<void> sync_directory(const std::filesystem::path& dir);
// Makes `path`'s entry durable: syncs its parent ("." for a bare name).
Result<void> sync_parent_directory(const std::filesystem::path& path);
// fdatasync: the file's bytes, and its size, are durable once it succeeds.
Result<void> sync_data(int fd, const std::filesystem::path& path);

// Writes all of `bytes` at `position`; `path` names the file in errors.
Result<void> write_all_at(int fd, std::string_view bytes, std::uint64_t position,
                          const std::filesystem::path& path);
// Reads exactly `size` bytes at `position`; a file that ends sooner is an error.
Result<void> read_exact_at(int fd, char* data, std::size_t size, std::uint64_t position,
                           const std::filesystem::path& path);
// The file's bytes from the start up to its size, or up to its end if it
// became shorter meanwhile.
Result<std::string> read_all(int fd, const std::filesystem::path& path);
// read_all of the file at `path`.
Result<std::string> read_file(const std::filesystem::path& path);

// Replaces `path` so that after a crash it holds either its old bytes or all
// of `bytes`: they are written and synced under a temporary name, then
// renamed. The rename is durable once the folder is synced (sync_directory).
// Returns the new file's descriptor, open for reading and writing; the caller
// closes it.
Result<int> replace_file(const std::filesystem::path& path, std::string_view bytes);
// replace_file for a caller that needs no descriptor.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Little-endian fixed-width integers, the byte order of the storage files'
// own formats (independent of the host's).
template <class T>
void store_le(char* out, T value) {
  using Bits = std::make_unsigned_t<T>;
  auto bits = Bits(value);
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[i] = char(bits & 0xffu);
    bits = Bits(bits >> 8);
  }
}

template <class T>
T load_le(const char* in) {
  using Bits = std::make_unsigned_t<T>;
  Bits bits = 0;
  for (std::size_t i = sizeof(T); i-- > 0;) {
    bits = Bits((bits << 8) | static_cast<unsigned char>(in[i]));
  }
  return T(bits);
}

template <class T>
void append_le(std::string& out, T value) {
  char bytes[sizeof(T)];
  store_le(bytes, value);
  out.append(bytes, sizeof bytes);
}

// Text as its uint32 length, then its bytes.
inline void append_text(std::string& out, std::string_view text) {
  append_le(out, std::uint32_t(text.size()));
  out += text;
}

// Bounds-checked reads of what append_le and append_text wrote; each get
// fails once the bytes run out.
class LeReader {
 public:
  explicit LeReader(std::string_view bytes) : rest_(bytes) {}

  template <class T>
  bool get(T& value) {
    if (rest_.size() < sizeof(T)) return false;
    value = load_le<T>(rest_.data());
    rest_.remove_prefix(sizeof(T));
    return true;
  }

  // The text views the bytes given to the constructor.
  bool get_text(std::string_view& text) {
    std::uint32_t size = 0;
    if (!get(size) || rest_.size() < size) return false;
    text = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return true;
  }

  bool get_text(std::string& text) {
    std::string_view view;
    if (!get_text(view)) return false;
    text.assign(view);
    return true;
  }

  std::size_t remaining() const { return rest_.size(); }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace junction::storage
