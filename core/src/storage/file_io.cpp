#include "storage/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace junction::storage {
namespace fs = std::filesystem;
namespace {

// Reads up to `size` bytes at `position`, fewer only where the file ends.
Result<std::size_t> read_up_to(int fd, char* data, std::size_t size, std::uint64_t position,
                               const fs::path& path) {
  std::size_t done = 0;
  while (done < size) {
    const auto got = ::pread(fd, data + done, size - done, off_t(position + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path, errno);
    }
    if (got == 0) break;
    done += std::size_t(got);
  }
  return done;
}

}  // namespace

Error io_error(std::string_view operation, const fs::path& path, int error_number) {
  return make_error(Errc::io_error, std::string(operation) + " " + path.string() + ": " +
                                        std::system_category().message(error_number));
}

Result<void> sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", dir, errno);
  Result<void> synced;
  if (::fsync(fd) != 0) synced = io_error("cannot fsync", dir, errno);
  ::close(fd);
  return synced;
}

Result<void> sync_parent_directory(const fs::path& path) {
  const auto parent = path.parent_path();
  return sync_directory(parent.empty() ? fs::path(".") : parent);
}

Result<void> sync_data(int fd, const fs::path& path) {
  if (::fdatasync(fd) != 0) return io_error("cannot fsync", path, errno);
  return {};
}

Result<void> write_all_at(int fd, std::string_view bytes, std::uint64_t position,
                          const fs::path& path) {
  while (!bytes.empty()) {
    const auto written = ::pwrite(fd, bytes.data(), bytes.size(), off_t(position));
    if (written < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path, errno);
    }
    // No progress and no errno: retrying could spin forever.
    if (written == 0) return io_error("cannot write", path, EIO);
    bytes.remove_prefix(std::size_t(written));
    position += std::uint64_t(written);
  }
  return {};
}

Result<void> read_exact_at(int fd, char* data, std::size_t size, std::uint64_t position,
                           const fs::path& path) {
  auto got = read_up_to(fd, data, size, position, path);
  if (!got) return got.error();
  if (*got < size) {
    return make_error(Errc::io_error, "cannot read " + path.string() + ": ends before position " +
                                          std::to_string(position + size));
  }
  return {};
}

Result<std::string> read_all(int fd, const fs::path& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return io_error("cannot stat", path, errno);
  std::string bytes(std::size_t(info.st_size), '\0');
  auto got = read_up_to(fd, bytes.data(), bytes.size(), 0, path);
  if (!got) return got.error();
  bytes.resize(*got);
  return bytes;
}

Result<std::string> read_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path, errno);
  auto bytes = read_all(fd, path);
  ::close(fd);
  return bytes;
}

Result<int> replace_file(const fs::path& path, std::string_view bytes) {
  auto temporary = path;
  temporary += ".tmp";
  const int fd = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", temporary, errno);
  auto replaced = write_all_at(fd, bytes, 0, temporary);
  if (replaced) replaced = sync_data(fd, temporary);
  if (replaced && ::rename(temporary.c_str(), path.c_str()) != 0) {
    replaced = io_error("cannot rename", temporary, errno);
  }
  if (!replaced) {
    ::close(fd);
    return replaced.error();
  }
  return fd;
}

Result<void> write_file_atomically(const fs::path& path, std::string_view bytes) {
  auto fd = replace_file(path, bytes);
  if (!fd) return fd.error();
  ::close(*fd);
  return {};
}

}  // namespace junction::storage
