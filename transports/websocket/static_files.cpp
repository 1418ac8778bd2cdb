#include "static_files.hpp"

#include <fstream>
#include <iterator>
#include <system_error>

namespace junction::websocket {
namespace {

constexpr std::size_t kMaxStaticFileBytes = 8u << 20;

std::string content_type_for(const std::filesystem::path& file) {
  const auto extension = file.extension().string();
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".js") return "text/javascript; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".json") return "application/json";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".png") return "image/png";
  if (extension == ".ico") return "image/x-icon";
  return "application/octet-stream";
}

}  // namespace

std::optional<StaticFile> load_static_file(const std::filesystem::path& root,
                                           std::string_view target) {
  auto path = target.substr(0, target.find_first_of("?#"));
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::string relative(path.substr(1));
  if (relative.empty() || relative.back() == '/') relative += "index.html";
  // Percent-escapes and backslashes are refused rather than decoded: the
  // console's own file names need neither, and decoding invites traversal.
  if (relative.find_first_of("%\\") != std::string::npos) return std::nullopt;
  std::filesystem::path candidate(relative);
  for (const auto& part : candidate) {
    if (part == ".." || part == "." || part.empty()) return std::nullopt;
  }
  std::error_code error;
  const auto canonical_root = std::filesystem::canonical(root, error);
  if (error) return std::nullopt;
  const auto file = std::filesystem::canonical(canonical_root / candidate, error);
  if (error || !std::filesystem::is_regular_file(file, error)) return std::nullopt;
  auto [root_end, file_it] =
      std::mismatch(canonical_root.begin(), canonical_root.end(), file.begin(), file.end());
  if (root_end != canonical_root.end()) return std::nullopt;
  if (std::filesystem::file_size(file, error) > kMaxStaticFileBytes || error) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  StaticFile loaded{content_type_for(file), std::string(std::istreambuf_iterator<char>(in),
                                                        std::istreambuf_iterator<char>())};
  return loaded;
}

}  // namespace junction::websocket
